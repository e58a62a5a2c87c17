"""Signed receipts (CONTRACT §B): the proof a participant keeps of one decision.

A receipt is recorded with its decision (the live path stores its id, the ledger seq and hash
of the event that recorded it, and the states after it); it is signed only when asked for, so
signing never slows a decision. Its payload holds no personal data: the participant is named
by their pseudonymous id, and the manage URL carries no secret.
"""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import NotFound
from widget_server.domain.ledger import chain_hash, ledger_fields
from widget_server.domain.models import Call, DecisionEvent, NoticeVersion, Participant, Receipt
from widget_server.domain.signing import (
    RECEIPT,
    KeyRing,
    SignatureProblem,
    sign,
    unverified_payload,
    verify,
)


def signed_receipt(session: Session, ring: KeyRing, participant_id: str, receipt_id: str,
                   public_base: str) -> str:
    """The compact JWS of one of this participant's receipts; NotFound for any other id
    (another participant's receipt is not theirs to see)."""
    return sign(ring, receipt_payload(session, participant_id, receipt_id, public_base), RECEIPT)


def receipt_payload(session: Session, participant_id: str, receipt_id: str, public_base: str
                    ) -> dict[str, Any]:
    """What a receipt says (CONTRACT §B), from the receipt and the ledger event it names."""
    row = session.execute(
        select(Receipt, Participant.call_id)
        .join(Participant, Participant.id == Receipt.participant_id)
        .where(Receipt.id == receipt_id, Receipt.participant_id == participant_id)).first()
    if row is None:
        raise NotFound("No such receipt of this participant.")
    receipt, call_id = row
    event, notice_id = session.execute(
        select(DecisionEvent, NoticeVersion.notice_id)
        .join(Call, Call.id == DecisionEvent.call_id)
        .join(NoticeVersion, NoticeVersion.id == Call.notice_version_id)
        .where(DecisionEvent.call_id == call_id, DecisionEvent.seq == receipt.seq)).one()
    # The notice version the decision was recorded under (the call may have moved on since).
    version = session.scalars(select(NoticeVersion).where(
        NoticeVersion.notice_id == notice_id,
        NoticeVersion.version == event.notice_version)).one()
    content = version.content
    controller = content.get("controller") or {}
    return {
        "receipt_id": receipt.id,
        "issued_at": event.recorded_at.isoformat().replace("+00:00", "Z"),
        "controller": {"name": controller.get("name"),
                       "contact_email": controller.get("contact_email")},
        "notice": {"id": notice_id, "version": version.version,
                   "content_hash": version.content_hash, "language": event.language,
                   "privacy_policy_url": content.get("privacy_policy_url")},
        "call_id": call_id,
        "participant_id": participant_id,
        "purposes": [{"key": p["key"], "lawful_basis": p["lawful_basis"],
                      "state": receipt.state.get(p["key"]),
                      "retention_days": p["retention_days"]} for p in content["purposes"]],
        "ledger": {"seq": receipt.seq, "hash": receipt.hash},
        "manage_url": f"{public_base.rstrip('/')}/manage/{participant_id}",
    }


@dataclass
class ReceiptVerdict:
    ok: bool
    problem: str | None = None
    payload: dict[str, Any] | None = None


def read_receipt_file(text: str) -> tuple[str, Any]:
    """(jws, the payload copy beside it or None) from a file holding a JWS, or the JSON the
    widget downloads: {"jws": "…", "payload": {…}}."""
    text = text.strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            return "", None
        if isinstance(document, dict) and isinstance(document.get("jws"), str):
            return document["jws"], document.get("payload")
        return "", None
    return text, None


def verify_receipt(session: Session, ring: KeyRing, text: str) -> ReceiptVerdict:
    """Check a receipt: signed by one of this server's keys, its payload copy (if any) the
    signed one, and its ledger event there, unaltered, with the hash the receipt names."""
    jws, copy = read_receipt_file(text)
    if not jws:
        return ReceiptVerdict(False, "the file holds neither a JWS nor {\"jws\": …}")
    try:
        payload = verify(ring.public_keys(), jws, RECEIPT)
    except SignatureProblem as err:
        return ReceiptVerdict(False, f"signature: {err.message}")
    if copy is not None and copy != unverified_payload(jws):
        return ReceiptVerdict(False, "payload: the decoded payload beside the JWS is not the "
                                     "signed one (altered)", payload)
    problem = _ledger_problem(session, payload)
    return ReceiptVerdict(problem is None, problem, payload)


def _ledger_problem(session: Session, payload: dict[str, Any]) -> str | None:
    try:
        call_id, seq, expected = (payload["call_id"], int(payload["ledger"]["seq"]),
                                  payload["ledger"]["hash"])
    except (KeyError, TypeError, ValueError):
        return "payload: no call_id and ledger {seq, hash}"
    event = session.scalars(select(DecisionEvent).where(
        DecisionEvent.call_id == call_id, DecisionEvent.seq == seq)).first()
    where = f"ledger event seq {seq} of call {call_id}"
    if event is None:
        return f"{where} is missing (deleted)"
    if event.hash != expected:
        return f"{where} has another hash than the receipt names (edited)"
    if chain_hash(event.prev_hash, ledger_fields(event)) != event.hash:
        return f"{where} does not match its own hash (edited)"
    if event.participant_id != payload.get("participant_id"):
        return f"{where} is another participant's (edited)"
    return None
