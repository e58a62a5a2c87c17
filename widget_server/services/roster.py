"""What hosts see: the roster, the gate, and the updates they may have missed (read side)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import NotFound
from widget_server.domain.gate import gate_view
from widget_server.domain.models import Call, CallUpdate, NoticeVersion, Participant, StateCount
from widget_server.domain.models import PurposeState as State
from widget_server.domain.notice import DATA_CATEGORIES
from widget_server.services.live.updates import host_update, label, pseudonym_of

# A host further behind than this gets a fresh roster instead of a replay: cheaper for both.
MAX_REPLAY = 2000


def roster(session: Session, call_id: str) -> dict[str, Any]:
    """The call's participants with their states, the summary and gate, at one sequence number."""
    call = _call(session, call_id)
    states: dict[str, dict[str, str]] = {}
    rows = session.execute(
        select(State.participant_id, State.purpose, State.state)
        .join(Participant, Participant.id == State.participant_id)
        .where(Participant.call_id == call_id))
    for participant_id, purpose, state in rows:
        states.setdefault(participant_id, {})[purpose] = state
    people = session.execute(
        select(Participant.id, Participant.number, Participant.display_name, Participant.channel,
               Participant.present, Participant.blocking_since, Participant.updated_at,
               Participant.ref)
        .where(Participant.call_id == call_id).order_by(Participant.number))
    participants = [
        {"id": pid, "label": label(number, name, pseudonym_of(channel, ref)),
         "channel": channel, "present": present,
         "state": states.get(pid, {}), "blocking": since is not None,
         "blocking_since": since.isoformat() if since is not None else None,
         "updated_at": updated_at.isoformat()}
        for pid, number, name, channel, present, since, updated_at, ref in people
    ]
    version = session.get(NoticeVersion, call.notice_version_id)
    assert version is not None  # a foreign key guarantees it
    return {"call": {"id": call.id, "title": call.title, "status": call.status,
                     "notice": {"id": version.notice_id, "version": version.version},
                     "purposes": _purposes(version)},
            "seq": call.update_seq, "participants": participants,
            "summary": summary(session, call), "gate": gate(call)}


def own_state(session: Session, participant_id: str) -> dict[str, Any]:
    """A participant's own states and the names of the fields held for them now (what the
    widget shows after a notice change; never the values)."""
    person = session.get(Participant, participant_id)
    if person is None:
        raise NotFound("No such participant.")
    states = dict(session.execute(select(State.purpose, State.state)
                                  .where(State.participant_id == participant_id)).all())
    held = sorted(name for name in DATA_CATEGORIES if getattr(person, name) is not None)
    return {"state": states, "held": held}


def gate(call: Call) -> dict[str, Any]:
    return gate_view(call.status == "open", call.present_count, call.blocking_count)


def summary(session: Session, call: Call) -> dict[str, Any]:
    purposes: dict[str, dict[str, int]] = {}
    for row in session.scalars(select(StateCount).where(StateCount.call_id == call.id)
                               .order_by(StateCount.purpose, StateCount.state)):
        if row.count:
            purposes.setdefault(row.purpose, {})[row.state] = row.count
    return {"present": call.present_count, "purposes": purposes}


def call_gate(session: Session, call_id: str) -> dict[str, Any]:
    """The gate (`blocking` a count, as everywhere) with the ids of the present participants
    who block recording, in join order, as `blocking_participants`."""
    call = _call(session, call_id)
    blocking = list(session.scalars(select(Participant.id).where(
        Participant.call_id == call_id, Participant.present.is_(True),
        Participant.gate_ok.is_(False)).order_by(Participant.number)))
    return {**gate(call), "blocking_participants": blocking, "seq": call.update_seq}


def updates_since(session: Session, call_id: str, since: int) -> dict[str, Any]:
    """Every update after `since`, in order; or, when that is too many or unknown, a roster."""
    call = _call(session, call_id)
    if since < 0 or since > call.update_seq or call.update_seq - since > MAX_REPLAY:
        return {"roster": roster(session, call_id)}
    rows = session.execute(
        select(CallUpdate, Participant.display_name)
        .outerjoin(Participant, Participant.id == CallUpdate.participant_id)
        .where(CallUpdate.call_id == call_id, CallUpdate.seq > since)
        .order_by(CallUpdate.seq)).all()
    return {"updates": [host_update(u.seq, u.kind, u.snapshot, name) for u, name in rows]}


def _purposes(version: NoticeVersion) -> list[dict[str, Any]]:
    """The columns of the host's roster: each purpose, titled in the notice's default language."""
    content = version.content
    default = content["default_language"]
    return [{"key": p["key"], "title": p["text"][default]["title"],
             "lawful_basis": p["lawful_basis"], "gates_recording": bool(p.get("gates_recording"))}
            for p in content["purposes"]]


def _call(session: Session, call_id: str) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound(f"No call {call_id}.")
    return call
