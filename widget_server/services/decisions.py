"""Decisions: one participant's choices, recorded in the ledger and applied to the current state."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import (
    CallEnded,
    DomainError,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from widget_server.domain.errors import UnknownPurpose as UnknownPurposeError
from widget_server.domain.fields import check_fields
from widget_server.domain.hashing import chain_hash
from widget_server.domain.ids import new_id, utcnow
from widget_server.domain.lawful_basis import GRANTED, allowed_choices, transition_allowed
from widget_server.domain.models import (
    Call,
    DecisionEvent,
    NoticeVersion,
    Participant,
    PurposeState,
    Receipt,
)
from widget_server.domain.notice import DATA_CATEGORIES, Purpose, fields_at_join, fields_to_keep
from widget_server.services.call_state import (
    count_state,
    lock_call,
    notice_of,
    purposes_for,
    record_update,
    set_gate_ok,
)

MAX_EVENT_ID = 64


def decide(
    session: Session, call_id: str, participant_id: str, *, event_id: Any, choices: Any,
    fields: Any = None, channel: str = "widget",
) -> dict[str, Any]:
    """Record a participant's choices: one ledger event per purpose, hash-chained, then the
    current state, the personal data it allows, and the gate. Commits once.

    Idempotent on event_id: a retry returns the first answer and adds nothing (its "update"
    is then None). Refuses an ended call, an unknown purpose, a state the purpose's lawful
    basis does not allow, and any field no granted purpose needs, storing nothing.
    """
    result = _apply(session, DecisionRequest(call_id, participant_id, event_id, choices,
                                             fields, channel))
    session.commit()
    return result


@dataclass(frozen=True)
class DecisionRequest:
    call_id: str
    participant_id: str
    event_id: Any
    choices: Any
    fields: Any = None
    channel: str = "widget"


def decide_many(session: Session, requests: list[DecisionRequest]
                ) -> list[dict[str, Any] | DomainError]:
    """Group commit: apply each decision in its own savepoint, in the order given, then commit
    them all at once (one fsync for the batch). A refused decision leaves nothing behind and
    does not disturb the others; its error takes its place in the answer.

    Raises if the commit itself fails: then none of them is recorded.
    """
    results: list[dict[str, Any] | DomainError] = []
    for request in requests:
        savepoint = session.begin_nested()
        try:
            results.append(_apply(session, request))
        except DomainError as err:
            savepoint.rollback()
            results.append(err)
        else:
            savepoint.commit()
    session.commit()
    return results


def _apply(session: Session, request: DecisionRequest) -> dict[str, Any]:
    """One decision inside the caller's transaction; the caller commits."""
    call_id, participant_id, event_id = request.call_id, request.participant_id, request.event_id
    choices, fields, channel = request.choices, request.fields, request.channel
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= MAX_EVENT_ID:
        raise ValidationFailed("event_id must be a string of 1 to 64 characters.",
                               fields={"event_id": ["1 to 64 characters."]})
    call = lock_call(session, call_id)
    participant = session.get(Participant, participant_id)
    if participant is None or participant.call_id != call.id:
        raise NotFound("No such participant in this call.")
    previous = session.scalar(select(Receipt).where(
        Receipt.participant_id == participant.id, Receipt.event_id == event_id))
    if previous is not None:
        return {"state": previous.state, "receipt": _receipt(previous), "update": None}
    if call.status != "open":
        raise CallEnded("The call has ended; no more decisions can be recorded.")
    version = notice_of(session, call)
    purposes = {p.key: p for p in purposes_for(version)}
    current = states_of(session, participant.id)
    wanted = _checked_choices(choices, purposes, current)
    after = {**current, **wanted}
    given = _checked_fields(fields, list(purposes.values()), wanted, participant)

    now = utcnow()
    last: DecisionEvent | None = None
    for key, state in wanted.items():
        last = _append(session, call, version, participant, event_id, key, state, channel, now)
        row = session.get(PurposeState, (participant.id, key))
        assert row is not None
        count_state(session, call.id, key, row.state, -1)
        count_state(session, call.id, key, state, 1)
        row.state = state
    for name, value in given.items():
        setattr(participant, name, value)
    keep = fields_to_keep(list(purposes.values()), after)
    for name in DATA_CATEGORIES - keep:  # erase at once what no granted purpose needs
        setattr(participant, name, None)
    participant.updated_at = now
    set_gate_ok(call, participant, gate_ok_for(list(purposes.values()), after))
    assert last is not None
    receipt = Receipt(id=new_id("rcpt"), participant_id=participant.id, event_id=event_id,
                      seq=last.seq, hash=last.hash, state=after)
    session.add(receipt)
    event = record_update(session, call, "decision", participant, after, now)
    return {"state": after, "receipt": _receipt(receipt), "update": event}


def states_of(session: Session, participant_id: str) -> dict[str, str]:
    rows = session.execute(select(PurposeState.purpose, PurposeState.state)
                           .where(PurposeState.participant_id == participant_id))
    return {purpose: state for purpose, state in rows}


def gate_ok_for(purposes: list[Purpose], states: dict[str, str]) -> bool:
    """Whether this participant lets recording run: every gating purpose granted."""
    return all(states.get(p.key) == GRANTED for p in purposes if p.gates_recording)


def ledger_fields(event: DecisionEvent) -> dict[str, Any]:
    """What an event's hash covers: everything it proves except the hashes themselves."""
    return {"call_id": event.call_id, "seq": event.seq, "event_id": event.event_id,
            "participant_id": event.participant_id, "purpose": event.purpose,
            "state": event.state, "notice_version": event.notice_version,
            "notice_hash": event.notice_hash, "language": event.language,
            "channel": event.channel, "recorded_at": _instant(event.recorded_at)}


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _append(session: Session, call: Call, version: NoticeVersion, participant: Participant,
            event_id: str, purpose: str, state: str, channel: str, now: datetime
            ) -> DecisionEvent:
    call.ledger_seq += 1
    event = DecisionEvent(
        call_id=call.id, seq=call.ledger_seq, event_id=event_id, participant_id=participant.id,
        purpose=purpose, state=state, notice_version=version.version,
        notice_hash=version.content_hash, language=participant.language, channel=channel,
        recorded_at=now, prev_hash=call.ledger_head, hash="")
    event.hash = chain_hash(event.prev_hash, ledger_fields(event))
    call.ledger_head = event.hash
    session.add(event)
    return event


def _checked_choices(choices: Any, purposes: dict[str, Purpose], current: dict[str, str]
                     ) -> dict[str, str]:
    if not isinstance(choices, dict) or not choices:
        raise ValidationFailed("choices must be a non-empty object of purpose → state.",
                               fields={"choices": ["A non-empty object."]})
    for key, state in choices.items():
        purpose = purposes.get(key)
        if purpose is None:
            raise UnknownPurposeError(f"The notice has no purpose {key!r}.",
                                      fields={key: ["Unknown purpose."]})
        if not isinstance(state, str) or not transition_allowed(purpose.basis, current[key],
                                                                state):
            allowed = ", ".join(sorted(allowed_choices(purpose.basis))) or "nothing"
            raise InvalidState(
                f"{state!r} is not a choice for {key!r} (lawful basis {purpose.basis.value}, "
                f"now {current[key]}); allowed: {allowed}.", fields={key: ["Not allowed."]})
    return dict(choices)


def _checked_fields(fields: Any, purposes: list[Purpose], wanted: dict[str, str],
                    participant: Participant) -> dict[str, str]:
    """Fields may come only with the grant of a consent purpose that needs them."""
    granting = [p for p in purposes if p.is_consent and wanted.get(p.key) == GRANTED]
    allowed = frozenset().union(*(p.data for p in granting)) - fields_at_join(purposes)
    held = {name for name in allowed if getattr(participant, name)}
    return check_fields(fields, allowed, allowed - held,
                        "by the purposes granted in this decision")


def _receipt(receipt: Receipt) -> dict[str, Any]:
    return {"id": receipt.id, "seq": receipt.seq, "hash": receipt.hash}
