"""Joining and leaving: presence (leaving is not withdrawing: choices stand)."""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from widget_server.domain.errors import CallEnded, CallFull, StaleNotice
from widget_server.domain.fields import check_fields
from widget_server.domain.ids import digest, new_id, new_secret, same_digest
from widget_server.domain.lawful_basis import initial_state
from widget_server.domain.ledger import NOTICE_SERVED
from widget_server.domain.minimisation import demanded, fields_at_join, fields_to_keep
from widget_server.domain.models import Call, Participant
from widget_server.domain.notice import DATA_CATEGORIES, choose_language
from widget_server.services.live.call import LiveCall, Person, new_event_id
from widget_server.services.live.commands import Join, Leave, MarkAway, Policy

CHANNELS = ("widget", "api", "phone")
# Present while the phone bridge says so (join to hang-up), not while a socket of this
# process is open: restarts and the ghost check leave phone callers alone.
SOCKETLESS = ("phone",)


def join(live: LiveCall, command: Join, policy: Policy) -> dict[str, Any]:
    """Bring a participant in, new or resumed, holding only the fields the notice's
    non-consent purposes need, and record in the ledger which notice they were shown."""
    if not live.is_open:
        raise CallEnded("The call has ended.")
    notice = live.notice
    if command.seen_hash != notice.content_hash:
        raise StaleNotice("The notice changed since it was shown; read it again.",
                          fields={"seen": ["Not the call's current notice."]})
    person = _resumed(live, command)
    needed = fields_at_join(notice.purposes)
    if person is not None:
        # Coming back: only what a purpose still applying to them needs (an objection's
        # erasure is not undone by a reload), and nothing is demanded again.
        allowed = needed & fields_to_keep(notice.purposes, person.states)
        given = check_fields(command.fields, allowed, frozenset(), "when joining this call")
    else:
        given = check_fields(command.fields, needed, demanded(needed, command.channel),
                             "when joining this call")
    language = choose_language(notice.content, command.language)
    resume = command.resume
    if person is None:
        person, resume = _new_person(live, command, language, policy)
    person.row.update(given)
    person.row.update(language=language, connections=person.row["connections"] + 1,
                      process=command.process)
    if command.ref is not None:  # a rejoin from another seat of the meeting may rename it
        person.row["ref"] = command.ref
    live.append_event(person, new_event_id(), None, NOTICE_SERVED, person.row["channel"])
    live.set_presence(person, True)
    live.record_update("joined", person)
    return {"participant": {"id": person.id, "resume": resume},
            "notice": notice.render(language), "state": dict(person.states),
            "held": sorted(person.held())}


def _new_person(live: LiveCall, command: Join, language: str, policy: Policy
                ) -> tuple[Person, str]:
    call = live.call
    if policy.max_participants and call["participant_count"] >= policy.max_participants:
        raise CallFull("This call has as many participants as it may have.")
    call["participant_count"] += 1
    secret = new_secret()
    row = {"id": new_id("p"), "call_id": live.id, "number": call["participant_count"],
           **dict.fromkeys(DATA_CATEGORIES), "language": language,
           "channel": command.channel if command.channel in CHANNELS else "widget",
           "ref": command.ref, "resume_hash": digest(secret), "connections": 0, "present": False,
           "gate_ok": True, "blocking_since": None, "joined_at": live.now,
           "updated_at": live.now, "process": None}
    person = Person(row, {}, new=True)
    live.people[person.id] = person
    live.set_states(person, {p.key: initial_state(p.basis) for p in live.notice.purposes})
    return person, f"{person.id}.{secret}"


def _resumed(live: LiveCall, command: Join) -> Person | None:
    """The participant a resume secret names, if genuine and of this call. A stale or foreign
    secret starts a new participant rather than failing (a reload after a purge, say)."""
    pid = command.participant_id
    person = live.people.get(pid) if pid else None
    if person is None or person.new or command.resume is None:
        return None
    secret = command.resume.split(".", 1)[1]
    return person if same_digest(secret, person.row["resume_hash"]) else None


def leave(live: LiveCall, command: Leave) -> dict[str, Any]:
    """One connection closed; the last one closing means no longer present."""
    person = live.person(command.participant_id)
    if not live.is_open or person.row["connections"] == 0:
        return {}
    person.row["connections"] -= 1
    person.changed = True
    if person.row["connections"] == 0:
        person.row["process"] = None
        live.set_presence(person, False)
        live.record_update("left", person)
    return {}


def mark_away(live: LiveCall, command: MarkAway) -> dict[str, Any]:
    """Gone, however many connections were counted (after a restart, or a ghost found by the
    presence check)."""
    person = live.person(command.participant_id)
    if command.process is not None and person.row["process"] != command.process:
        return {}  # back through another process meanwhile: not gone
    person.row.update(connections=0, process=None)
    person.changed = True
    if person.row["present"]:
        live.set_presence(person, False)
        live.record_update("left", person)
    return {}


def present_in_open_calls(session: Session, process: str | None = None
                          ) -> list[tuple[str, str]]:
    """(call id, participant id) of everyone counted present in an open call through a
    connection of a server (not phone callers: their bridge holds their presence); with
    `process`, only those whose connection that process holds."""
    query = (select(Participant.call_id, Participant.id)
             .join(Call, Call.id == Participant.call_id)
             .where(Call.status == "open", Participant.present.is_(True),
                    Participant.channel.not_in(SOCKETLESS)))
    if process is not None:
        query = query.where(Participant.process == process)
    return [(call_id, pid) for call_id, pid in session.execute(query)]


def away_commands(session: Session) -> list[MarkAway]:
    """After a restart nobody is connected to this process: everyone present goes away."""
    commands = [MarkAway(call_id, pid) for call_id, pid in present_in_open_calls(session)]
    session.execute(update(Participant).where(Participant.connections != 0,
                                              Participant.channel.not_in(SOCKETLESS))
                    .values(connections=0))
    return commands
