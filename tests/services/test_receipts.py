"""Signed receipts (CONTRACT §B), at the service level.

Every signature is checked with joserfc, another JOSE library than the product's, from the JWKS
document alone: what a participant's own verifier would do.
"""

import json
import warnings
from typing import Any

import pytest
from joserfc import jws as jose_jws
from joserfc.errors import BadSignatureError, SecurityWarning
from joserfc.jwk import KeySet

from tests.services.support import CANARY_EMAIL, CANARY_NAME, Lecture, World
from widget_server.domain.errors import NotFound
from widget_server.domain.signing import KeyRing
from widget_server.services import receipts

BASE = "https://consent.example.org"
PAYLOAD_KEYS = {"receipt_id", "issued_at", "controller", "notice", "call_id", "participant_id",
                "purposes", "ledger", "manage_url"}


def jose_verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Verify as an outsider: joserfc, the JWKS document, nothing of the product's."""
    with warnings.catch_warnings():
        # RFC 9864 deprecates the name "EdDSA" in favour of "Ed25519"; CONTRACT §B names EdDSA.
        warnings.simplefilter("ignore", SecurityWarning)
        result = jose_jws.deserialize_compact(token, KeySet.import_key_set(jwks),
                                              algorithms=["EdDSA"])
    assert result.headers()["kid"] in {k["kid"] for k in jwks["keys"]}
    return dict(json.loads(result.payload))


def sign(world: World, ring: KeyRing, pid: str, receipt_id: str) -> str:
    with world.db.read_session() as s:
        return receipts.signed_receipt(s, ring, pid, receipt_id, BASE)


def check(world: World, ring: KeyRing, text: str) -> receipts.ReceiptVerdict:
    with world.db.read_session() as s:
        return receipts.verify_receipt(s, ring, text)


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate()


def granted(lecture: Lecture) -> tuple[str, dict[str, Any]]:
    pid = lecture.join(CANARY_NAME)
    answer = lecture.decide(pid, {"recording": "granted", "notes_email": "granted"},
                            fields={"email": CANARY_EMAIL})
    return pid, answer


def test_a_receipt_verifies_from_the_jwks_alone_and_says_exactly_what_the_contract_lists(
        world: World, lecture: Lecture, ring: KeyRing) -> None:
    pid, answer = granted(lecture)
    token = sign(world, ring, pid, answer["receipt"]["id"])
    payload = jose_verify(token, ring.jwks())
    assert set(payload) == PAYLOAD_KEYS
    assert payload["receipt_id"] == answer["receipt"]["id"]
    assert payload["ledger"] == {"seq": answer["receipt"]["seq"], "hash": answer["receipt"]["hash"]}
    assert payload["controller"] == {"name": "Example University",
                                     "contact_email": "dpo@example.edu"}
    assert payload["notice"] == {"id": lecture.notice["id"], "version": 1,
                                 "content_hash": lecture.notice["content_hash"],
                                 "language": "en",
                                 "privacy_policy_url": "https://example.edu/privacy"}
    assert payload["call_id"] == lecture.call_id and payload["participant_id"] == pid
    assert payload["manage_url"] == f"{BASE}/manage/{pid}"
    assert payload["purposes"] == [
        {"key": "recording", "lawful_basis": "consent", "state": "granted", "retention_days": 30},
        {"key": "notes_email", "lawful_basis": "consent", "state": "granted",
         "retention_days": 7},
        {"key": "attendance", "lawful_basis": "legitimate_interests", "state": "not_objected",
         "retention_days": 365},
        {"key": "service", "lawful_basis": "contract", "state": "informed",
         "retention_days": 30}]
    # No personal data, anywhere in the signed document.
    assert CANARY_NAME not in token and CANARY_EMAIL not in json.dumps(payload)
    # The ledger event it names is the one that recorded the decision.
    event = {e.seq: e for e in world.events(lecture.call_id)}[payload["ledger"]["seq"]]
    assert event.hash == payload["ledger"]["hash"] and event.participant_id == pid
    assert payload["issued_at"].endswith("Z")


def test_purposes_stand_as_after_that_event_not_as_now(world: World, lecture: Lecture,
                                                       ring: KeyRing) -> None:
    pid, first = granted(lecture)
    later = lecture.decide(pid, {"recording": "withdrawn"})
    states = {p["key"]: p["state"] for p in jose_verify(
        sign(world, ring, pid, first["receipt"]["id"]), ring.jwks())["purposes"]}
    assert states["recording"] == "granted"
    states = {p["key"]: p["state"] for p in jose_verify(
        sign(world, ring, pid, later["receipt"]["id"]), ring.jwks())["purposes"]}
    assert states["recording"] == "withdrawn" and states["notes_email"] == "granted"


def test_another_participants_receipt_is_not_found(world: World, lecture: Lecture,
                                                   ring: KeyRing) -> None:
    pid, answer = granted(lecture)
    other = lecture.join("Grace Hopper")
    with pytest.raises(NotFound):
        sign(world, ring, other, answer["receipt"]["id"])
    with pytest.raises(NotFound):
        sign(world, ring, pid, "rcpt_unknown")


def test_verify_receipt_accepts_a_good_one_as_jws_or_as_the_downloaded_json(
        world: World, lecture: Lecture, ring: KeyRing) -> None:
    pid, answer = granted(lecture)
    token = sign(world, ring, pid, answer["receipt"]["id"])
    assert check(world, ring, token).ok
    download = json.dumps({"jws": token, "payload": jose_verify(token, ring.jwks())})
    verdict = check(world, ring, download)
    assert verdict.ok and verdict.payload is not None
    assert verdict.payload["receipt_id"] == answer["receipt"]["id"]


def _swap_part(token: str, index: int, new: str) -> str:
    parts = token.split(".")
    parts[index] = new
    return ".".join(parts)


def _b64(value: Any) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_verify_receipt_names_each_kind_of_tampering(world: World, lecture: Lecture,
                                                    ring: KeyRing) -> None:
    pid, answer = granted(lecture)
    token = sign(world, ring, pid, answer["receipt"]["id"])
    payload = jose_verify(token, ring.jwks())
    header = json.loads(__import__("base64").urlsafe_b64decode(token.split(".")[0] + "=="))

    forged = {**payload, "purposes": [{**p, "state": "denied"} for p in payload["purposes"]]}
    verdict = check(world, ring, _swap_part(token, 1, _b64(forged)))
    assert not verdict.ok and "signature" in str(verdict.problem)
    with pytest.raises(BadSignatureError):  # an outsider's library agrees
        jose_verify(_swap_part(token, 1, _b64(forged)), ring.jwks())

    signature = token.split(".")[2]
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    verdict = check(world, ring, _swap_part(token, 2, flipped))
    assert not verdict.ok and "signature does not match" in str(verdict.problem)

    other_kid = {**header, "kid": KeyRing.generate().kid}
    verdict = check(world, ring, _swap_part(token, 0, _b64(other_kid)))
    assert not verdict.ok and "not one of this server's keys" in str(verdict.problem)

    # The downloaded JSON's readable copy changed, the JWS left alone.
    verdict = check(world, ring, json.dumps({"jws": token, "payload": forged}))
    assert not verdict.ok and str(verdict.problem).startswith("payload")

    assert not check(world, ring, "not a receipt").ok
    assert not check(world, ring, '{"no": "jws"}').ok
    # Signed by another server's key.
    stranger = KeyRing.generate()
    verdict = check(world, ring, sign(world, stranger, pid, answer["receipt"]["id"]))
    assert not verdict.ok and "not one of this server's keys" in str(verdict.problem)


def test_verify_receipt_fails_when_its_ledger_event_was_edited_or_deleted(
        world: World, lecture: Lecture, ring: KeyRing) -> None:
    pid, answer = granted(lecture)
    token = sign(world, ring, pid, answer["receipt"]["id"])
    seq = answer["receipt"]["seq"]
    world.sql("UPDATE decision_event SET state = 'denied' WHERE call_id = :c AND seq = :s",
              c=lecture.call_id, s=seq)
    verdict = check(world, ring, token)
    assert not verdict.ok and f"seq {seq}" in str(verdict.problem)
    assert "edited" in str(verdict.problem)

    world.sql("UPDATE decision_event SET hash = 'sha256:00' WHERE call_id = :c AND seq = :s",
              c=lecture.call_id, s=seq)
    verdict = check(world, ring, token)
    assert not verdict.ok and "another hash" in str(verdict.problem)

    world.sql("DELETE FROM decision_event WHERE call_id = :c AND seq = :s",
              c=lecture.call_id, s=seq)
    verdict = check(world, ring, token)
    assert not verdict.ok and "missing (deleted)" in str(verdict.problem)


def test_after_a_rotation_old_and_new_receipts_verify_from_the_jwks(
        world: World, lecture: Lecture, ring: KeyRing) -> None:
    pid, answer = granted(lecture)
    old = sign(world, ring, pid, answer["receipt"]["id"])
    rotated = ring.rotated()
    assert rotated.kid != ring.kid
    new = sign(world, rotated, pid, answer["receipt"]["id"])
    jwks = rotated.jwks()
    assert [k["kid"] for k in jwks["keys"]] == [rotated.kid, ring.kid]
    assert jose_verify(old, jwks) == jose_verify(new, jwks)
    assert check(world, rotated, old).ok and check(world, rotated, new).ok
    # The new key's signature is the new kid's.
    assert not check(world, ring, new).ok
