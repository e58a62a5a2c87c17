"""Participants joining and leaving a call (presence; leaving is not withdrawing)."""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from widget_server.domain.errors import DomainError, NotFound
from widget_server.domain.models import Call, Participant
from widget_server.services import presence_batch
from widget_server.services.presence_batch import AwayRequest, JoinRequest, LeaveRequest, Outcome

__all__ = ["JoinRequest", "LeaveRequest", "join", "join_many", "leave", "leave_many",
           "participant_call", "reset_presence"]


def join(
    session: Session, call_id: str, *, fields: Any, language: str | None,
    channel: str = "widget", resume: str | None = None,
) -> dict[str, Any]:
    """Bring a participant into the call, new or resumed, holding only the fields the notice's
    non-consent purposes need. Refuses anything else and then stores nothing. Commits once.

    Returns the participant (id, resume secret), the notice in the chosen language, the state,
    and the host update (under "update").
    """
    [outcome] = join_many(session, [JoinRequest(call_id, fields, language, channel, resume)])
    return _raise_or_return(outcome)


def leave(session: Session, call_id: str, participant_id: str) -> dict[str, Any] | None:
    """One connection of the participant closed. When it was the last, they are no longer
    present. Their choices stand. Returns the host update, or None if nothing changed.
    Commits once."""
    [outcome] = leave_many(session, [LeaveRequest(call_id, participant_id)])
    update: dict[str, Any] | None = _raise_or_return(outcome)["update"]
    return update


def join_many(session: Session, requests: list[JoinRequest]) -> list[Outcome]:
    """Group commit of joins: each applied or refused on its own, in order; one commit."""
    outcomes = presence_batch.join_many(session, requests)
    session.commit()
    return outcomes


def leave_many(session: Session, requests: list[LeaveRequest]) -> list[Outcome]:
    """Group commit of leaves, as join_many."""
    outcomes = presence_batch.leave_many(session, requests)
    session.commit()
    return outcomes


def _raise_or_return(outcome: Outcome) -> dict[str, Any]:
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def reset_presence(session: Session) -> int:
    """After a restart nobody is connected to this process: mark everyone as away, with a
    host update for each who was present. Commits once; returns how many were present."""
    present = session.execute(
        select(Participant.call_id, Participant.id).join(Call, Call.id == Participant.call_id)
        .where(Call.status == "open", Participant.present.is_(True))).all()
    presence_batch.away_many(session, [AwayRequest(call_id, pid) for call_id, pid in present])
    session.execute(update(Participant).where(Participant.connections != 0).values(connections=0))
    session.commit()
    return len(present)


def participant_call(session: Session, participant_id: str) -> str:
    call_id = session.scalar(select(Participant.call_id).where(Participant.id == participant_id))
    if call_id is None:
        raise NotFound("No such participant.")
    return call_id
