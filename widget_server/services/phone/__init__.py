"""Dial-in participants (CONTRACT §E): a call's phone bridge, holding a telephony grant, brings
callers in, reads them the notice, turns their keys into decisions and hangs them up.

Every change goes through the live write path (services/live) as the widget's do, with channel
`phone`: the same ledger events, receipts, host updates and gate. What the bridge may send of
a caller follows domain/minimisation.py: the number is kept only while a purpose needs
`phone`, a name only where one needs `display_name`; otherwise hosts see 'Phone ••56'.
"""

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import (
    CallEnded,
    DomainError,
    ForbiddenCall,
    HungUp,
    NotFound,
    ValidationFailed,
)
from widget_server.domain.minimisation import fields_at_join
from widget_server.domain.models import Call, Participant, PurposeState
from widget_server.services import live
from widget_server.services.grants import GrantIdentity
from widget_server.services.live.notices import NoticeInfo, notice_of_call
from widget_server.services.phone import numbers, twiml
from widget_server.services.phone.script import Spoken, spoken_language, step_named, steps
from widget_server.services.phone.texts import phrase

CHANNEL = "phone"
# How the bridge names a caller's data, and the participant fields they become.
BRIDGE_NAMES = {"phone": numbers.FIELD, "display_name": "name"}
T = TypeVar("T")


def join(session: Session, grant: GrantIdentity, caller: object, *, language: str | None = None,
         name: str | None = None, call_id: str | None = None
         ) -> tuple[dict[str, Any], live.Applied]:
    """A caller comes in: present (blocking the gate until they have answered every gating
    purpose), with the notice recorded as served. Commits once; a refusal stores nothing."""
    if call_id is not None and call_id != grant.call_id:
        raise ForbiddenCall("This telephony token is for another call.")
    number = numbers.e164(caller)
    notice = notice_of_call(session, grant.call_id)
    spoken = spoken_language(notice.content, language)
    given: dict[str, str] = {}
    if "phone" in fields_at_join(notice.purposes):
        given["phone"] = number
    if name is not None:
        given["display_name"] = name
    # A phone join is the server speaking the notice, so the notice "seen" is the current
    # version by construction: the bridge reads the script only after the join, and the
    # script is always built from the call's notice of that moment. A notice change racing
    # this join is still caught (stale_notice) by the live path's own check.
    command = live.Join(call_id=grant.call_id, seen_hash=notice.content_hash, fields=given,
                        language=spoken.notice, channel=CHANNEL, ref=numbers.label(number))
    outcome, applied = _as_the_bridge_says(lambda: live.apply_one(session, command))
    held = outcome["held"]
    label = name if "display_name" in held and name else numbers.label(number)
    return ({"id": outcome["participant"]["id"], "label": label, "language": spoken.notice,
             "present": True}, applied)


def script(session: Session, grant: GrantIdentity, participant_id: str,
           start: str | None = None) -> dict[str, Any]:
    """The caller's script now (their states decide what a decline records and what the
    confirmation says), from step `start` on when given."""
    person = _caller(session, grant, participant_id)
    notice, spoken, states = _context(session, person)
    script_now = steps(notice.content, notice.purposes, states, person.id, spoken)
    if start is not None:
        first = step_named(script_now, start)
        if first is None:
            raise _bad_step(start, person.id)
        script_now = script_now[script_now.index(first):]
    return {"participant_id": person.id, "language": spoken.notice, "voice": spoken.voice,
            "steps": script_now}


def script_twiml(session: Session, grant: GrantIdentity, participant_id: str, keys_url: str,
                 start: str | None = None) -> str:
    """The same script as a TwiML document."""
    spoken = script(session, grant, participant_id, start)
    return twiml.document(spoken["steps"], spoken["voice"], keys_url)


def press(session: Session, grant: GrantIdentity, participant_id: str, step_id: str,
          digits: str, *, event_id: str | None = None, caller: object = None,
          name: str | None = None) -> tuple[dict[str, Any], live.Applied]:
    """A key pressed at a step: the decision it makes (recorded as the widget's are, channel
    `phone`), or a move (continue, repeat, change), or a re-prompt of the step that records
    nothing when the key fits no prompt. A caller who hung up, or a call that has ended,
    records nothing more (409)."""
    person = _caller(session, grant, participant_id)
    call = session.get(Call, person.call_id)
    assert call is not None  # a foreign key guarantees it
    if call.status != "open":
        raise CallEnded("The call has ended: no more keys are recorded.")
    if not person.present:
        raise HungUp("This caller has hung up: no more keys are recorded.")
    notice, spoken, states = _context(session, person)
    script_now = steps(notice.content, notice.purposes, states, person.id, spoken)
    step = step_named(script_now, step_id)
    if step is None:
        raise _bad_step(step_id, person.id)
    answer: dict[str, Any] = {"step": step_id, "digits": digits, "recorded": {},
                              "state": states, "receipt": None}
    expected = step["expect"].get(digits)
    if expected is None:
        say = f"{phrase(spoken.phrases, 'not_a_choice')} {step['say']}"
        return {**answer, "outcome": "reprompt", "next": step_id, "say": say}, live.Applied([])
    if "action" in expected:
        target = {"repeat": step_id, "continue": step["next"]}.get(expected["action"],
                                                                   expected.get("to"))
        return ({**answer, "outcome": expected["action"], "next": target,
                 "say": _say(script_now, target)}, live.Applied([]))
    given: dict[str, str] = {}
    if caller is not None:
        given["phone"] = numbers.e164(caller)
    if name is not None:
        given["display_name"] = name
    choice = {expected["purpose"]: expected["state"]}
    command = live.Decide(call_id=person.call_id, participant_id=person.id,
                          event_id=event_id or str(uuid.uuid4()), choices=choice,
                          fields=given, channel=CHANNEL)
    outcome, applied = _as_the_bridge_says(lambda: live.apply_one(session, command))
    after = steps(notice.content, notice.purposes, outcome["state"], person.id, spoken)
    return ({**answer, "outcome": "recorded", "recorded": choice, "state": outcome["state"],
             "receipt": outcome["receipt"], "next": step["next"],
             "say": _say(after, step["next"])}, applied)


def hang_up(session: Session, grant: GrantIdentity, participant_id: str
            ) -> tuple[dict[str, Any], live.Applied]:
    """The caller hung up: no longer present (choices stand). Idempotent; commits once."""
    person = _caller(session, grant, participant_id)
    label = person.display_name or person.ref or ""
    _, applied = live.apply_one(session, live.MarkAway(person.call_id, person.id))
    return {"id": person.id, "label": label, "present": False}, applied


def _caller(session: Session, grant: GrantIdentity, participant_id: str) -> Participant:
    """A phone participant of the grant's call; anyone else (another call's, a widget's) is
    not found: a token learns nothing of what is not its own."""
    person = session.get(Participant, participant_id)
    if person is None or person.call_id != grant.call_id or person.channel != CHANNEL:
        raise NotFound("No such caller in this call.")
    return person


def _context(session: Session, person: Participant
             ) -> tuple[NoticeInfo, Spoken, dict[str, str]]:
    notice = notice_of_call(session, person.call_id)
    spoken = spoken_language(notice.content, person.language)
    states = dict(session.execute(select(PurposeState.purpose, PurposeState.state).where(
        PurposeState.participant_id == person.id)).all())
    return notice, spoken, states


def _say(script_now: list[dict[str, Any]], step_id: str | None) -> str | None:
    step = step_named(script_now, step_id) if step_id else None
    return step["say"] if step else None


def _bad_step(step_id: str, participant_id: str) -> ValidationFailed:
    owner = step_id.split(":", 1)[0]
    if ":" in step_id and owner != participant_id:
        return ValidationFailed("That step belongs to another caller's script.",
                                fields={"step": ["A step of another caller."]})
    return ValidationFailed("This caller's script has no such step.",
                            fields={"step": ["Unknown step."]})


def _as_the_bridge_says(run: Callable[[], T]) -> T:
    """Refusals name the bridge's fields (`caller`, `name`), not the participant's columns."""
    try:
        return run()
    except DomainError as err:
        if err.fields:
            err.fields = {BRIDGE_NAMES.get(k, k): v for k, v in err.fields.items()}
            for column, field in BRIDGE_NAMES.items():
                err.message = err.message.replace(repr(column), repr(field))
        raise
