"""Participants joining and leaving a call (presence; leaving is not withdrawing)."""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from widget_server.domain.errors import CallEnded, NotFound
from widget_server.domain.fields import check_fields
from widget_server.domain.ids import digest, new_id, new_secret, same_digest, utcnow
from widget_server.domain.lawful_basis import initial_state
from widget_server.domain.models import Call, Participant, PurposeState
from widget_server.domain.notice import choose_language, fields_at_join, render
from widget_server.services.call_state import (
    count_state,
    lock_call,
    notice_of,
    purposes_for,
    record_update,
    set_gate_ok,
    set_presence,
)
from widget_server.services.decisions import gate_ok_for, states_of

CHANNELS = ("widget", "api")


def join(
    session: Session, call_id: str, *, fields: Any, language: str | None,
    channel: str = "widget", resume: str | None = None,
) -> dict[str, Any]:
    """Bring a participant into the call, new or resumed, holding only the fields the notice's
    non-consent purposes need. Refuses anything else and then stores nothing. Commits once.

    Returns the participant (id, resume secret), the notice in the chosen language, the state,
    and the host update (under "update").
    """
    call = lock_call(session, call_id)
    if call.status != "open":
        raise CallEnded("The call has ended.")
    version = notice_of(session, call)
    purposes = purposes_for(version)
    needed = fields_at_join(purposes)
    participant = _resumed(session, call, resume)
    given = check_fields(fields, needed, frozenset() if participant else needed,
                         "when joining this call")
    now = utcnow()
    chosen = choose_language(version.content, language if isinstance(language, str) else None)
    secret = None
    if participant is None:
        call.participant_count += 1
        secret = new_secret()
        participant = Participant(
            id=new_id("p"), call_id=call.id, number=call.participant_count, language=chosen,
            channel=channel if channel in CHANNELS else "widget", resume_hash=digest(secret),
            connections=0, present=False, gate_ok=False, joined_at=now, updated_at=now)
        session.add(participant)
        session.flush()  # purpose states point at the participant row
        for purpose in purposes:
            state = initial_state(purpose.basis)
            session.add(PurposeState(participant_id=participant.id, purpose=purpose.key,
                                     state=state))
            count_state(session, call.id, purpose.key, state, 1)
        session.flush()
        states = {p.key: initial_state(p.basis) for p in purposes}
    else:
        states = states_of(session, participant.id)
    for name, value in given.items():
        setattr(participant, name, value)
    participant.language, participant.updated_at = chosen, now
    participant.connections += 1
    set_gate_ok(call, participant, gate_ok_for(purposes, states))
    set_presence(call, participant, True)
    event = record_update(session, call, "joined", participant, states, now)
    session.commit()
    resume_secret = f"{participant.id}.{secret}" if secret else resume
    return {"participant": {"id": participant.id, "resume": resume_secret},
            "notice": render(version.content, chosen), "state": states, "update": event}


def leave(session: Session, call_id: str, participant_id: str) -> dict[str, Any] | None:
    """One connection of the participant closed. When it was the last, they are no longer
    present. Their choices stand. Returns the host update, or None if nothing changed."""
    call = lock_call(session, call_id)
    participant = session.get(Participant, participant_id)
    if participant is None or participant.call_id != call.id:
        raise NotFound("No such participant in this call.")
    if call.status != "open" or participant.connections == 0:
        session.rollback()
        return None
    participant.connections -= 1
    if participant.connections > 0:
        session.commit()
        return None
    now = utcnow()
    participant.updated_at = now
    set_presence(call, participant, False)
    event = record_update(session, call, "left", participant,
                          states_of(session, participant.id), now)
    session.commit()
    return event


def reset_presence(session: Session) -> int:
    """After a restart nobody is connected to this process: mark everyone as away.

    Commits once; returns how many participants were marked away.
    """
    calls = session.scalars(select(Call).where(Call.status == "open", Call.present_count > 0))
    moved = 0
    for call in calls:
        now = utcnow()
        for participant in session.scalars(select(Participant).where(
                Participant.call_id == call.id, Participant.present.is_(True))):
            participant.connections = 0
            set_presence(call, participant, False)
            record_update(session, call, "left", participant,
                          states_of(session, participant.id), now)
            moved += 1
    session.execute(update(Participant).where(Participant.connections != 0).values(connections=0))
    session.commit()
    return moved


def _resumed(session: Session, call: Call, resume: str | None) -> Participant | None:
    """The participant a resume secret names, if it is genuine and of this call.

    A stale or foreign secret starts a new participant rather than failing: the widget then
    simply joins afresh (a reload after the data was purged, say).
    """
    if not isinstance(resume, str) or "." not in resume or len(resume) > 200:
        return None
    participant_id, secret = resume.split(".", 1)
    participant = session.get(Participant, participant_id)
    if participant is None or participant.call_id != call.id:
        return None
    return participant if same_digest(secret, participant.resume_hash) else None


def participant_call(session: Session, participant_id: str) -> str:
    call_id = session.scalar(select(Participant.call_id).where(Participant.id == participant_id))
    if call_id is None:
        raise NotFound("No such participant.")
    return call_id
