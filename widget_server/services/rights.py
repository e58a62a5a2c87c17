"""Rights after the call (CONTRACT §C): what a participant, or their controller for them, can
see and do: access and portability (Art. 15, 20), withdrawal and objection (Art. 7(3), 21)
and erasure (Art. 17).

Reads are plain queries; every change goes through the one live write path (services.live):
a decision is the live `Decide` with channel `manage` or `api`, an erasure the `Erase`
command, so the rules, the ledger and the hosts' updates are those of the live call.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import NotFound
from widget_server.domain.ids import utcnow
from widget_server.domain.models import Call, DecisionEvent, Participant, PurposeState, Receipt
from widget_server.domain.notice import DATA_CATEGORIES, choose_language
from widget_server.domain.rights import decisions_until
from widget_server.domain.signing import KeyRing
from widget_server.services import live, receipts
from widget_server.services.ledger import decision_view
from widget_server.services.live.notices import notice_of_call
from widget_server.services.participant_access import Identity


def participant_of_call(session: Session, organisation_id: str, call_id: str,
                        participant_id: str) -> Identity:
    """A participant of one of the organisation's calls; NotFound for anyone else's (another
    organisation's call, or a participant of another call)."""
    row = session.execute(
        select(Participant.id, Participant.call_id)
        .join(Call, Call.id == Participant.call_id)
        .where(Participant.id == participant_id, Participant.call_id == call_id,
               Call.organisation_id == organisation_id)).first()
    if row is None:
        raise NotFound("No such participant in this call.")
    return Identity(row.id, row.call_id)


def overview(session: Session, ring: KeyRing, who: Identity, public_base: str
             ) -> dict[str, Any]:
    """Everything held about a participant: their call, the notice (rendered in their
    language, as the widget shows it), their states, the personal data held now with its
    values, every ledger event of theirs and their receipts, each signed now."""
    person = session.get(Participant, who.participant_id)
    call = session.get(Call, who.call_id)
    if person is None or call is None:
        raise NotFound("No such participant.")
    notice = notice_of_call(session, call.id)
    language = choose_language(notice.content, person.language)
    states = dict(session.execute(select(PurposeState.purpose, PurposeState.state).where(
        PurposeState.participant_id == person.id)).all())
    events = session.scalars(select(DecisionEvent).where(
        DecisionEvent.call_id == call.id, DecisionEvent.participant_id == person.id)
        .order_by(DecisionEvent.seq))
    own = session.scalars(select(Receipt).where(Receipt.participant_id == person.id)
                          .order_by(Receipt.seq, Receipt.id)).all()
    until = decisions_until(call.ended_at, notice.purposes)
    return {
        "participant": {"id": person.id, "number": person.number, "language": person.language,
                        "channel": person.channel, "joined_at": person.joined_at,
                        "ref": person.ref},
        "call": {"id": call.id, "title": call.title, "status": call.status,
                 "ended_at": call.ended_at},
        "notice": notice.render(language),
        "state": states,
        "fields": {name: value for name in sorted(DATA_CATEGORIES)
                   if (value := getattr(person, name)) is not None},
        "events": [decision_view(event) for event in events],
        "receipts": [{"id": r.id, "event_id": r.event_id, "seq": r.seq, "hash": r.hash,
                      "jws": receipts.signed_receipt(session, ring, person.id, r.id,
                                                     public_base)} for r in own],
        "rights": {"grant": call.status == "open",
                   "withdraw_or_object": until is None or utcnow() < until,
                   "decisions_until": until},
    }


def decide(session: Session, who: Identity, channel: str, event_id: str,
           choices: dict[str, str], fields: dict[str, str] | None = None,
           seen_hash: str | None = None) -> tuple[dict[str, Any], live.Applied]:
    """A decision through the live write path, as the widget's `decide` (same checks,
    idempotent on event_id), also after the end within domain/rights.py. Commits once."""
    return live.apply_one(session, live.Decide(
        call_id=who.call_id, participant_id=who.participant_id, event_id=event_id,
        choices=choices, fields=fields or {}, channel=channel, seen_hash=seen_hash))


def erase(session: Session, who: Identity, channel: str) -> tuple[dict[str, Any], live.Applied]:
    """Erase every personal field now and record it (services/live/erasure.py). Commits
    once; a repeat with nothing left to erase records nothing."""
    return live.apply_one(session, live.Erase(who.call_id, who.participant_id, channel))
