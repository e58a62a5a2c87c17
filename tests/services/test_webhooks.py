"""Webhooks end to end below the web layer: the outbox written with each live change, and its
delivery to a real receiver on loopback that verifies each delivery with `standardwebhooks`."""

import copy
import json
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from tests.conftest import lecture_notice
from tests.services.support import Lecture, World
from tests.webhook_receiver import Receiver
from widget_server.domain.errors import UnknownPurpose
from widget_server.domain.ids import utcnow
from widget_server.domain.models import WebhookDelivery
from widget_server.services import calls, live, retention, sealing
from widget_server.services.webhooks import Settings, delivery, endpoints, sending

LOOPBACK = Settings(allow_http_loopback=True, timeout=1.0, backoff=(0.05,), retry_window=60)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    if receiver.server is not None:
        receiver.stop()


def register(world: World, lecture: Lecture, receiver: Receiver,
             events: list[str] | None = None) -> dict[str, Any]:
    with world.db.session() as s:
        created = endpoints.register(s, lecture.org_id, LOOPBACK, receiver.url,
                                     events or list(ALL))
    receiver.secret = created["secret"]
    return created


ALL = ("participant.joined", "participant.left", "decision.recorded", "gate.changed",
       "call.ended", "participant.erased", "retention.purged", "notice.changed")


def pump(world: World, settings: Settings = LOOPBACK, rounds: int = 1) -> list[str | None]:
    """Claim what is due and attempt it, as the server's worker does; `rounds` passes."""
    statuses: list[str | None] = []
    for _ in range(rounds):
        with world.db.session() as s:
            claimed = delivery.claim(s, settings, 50)
        for row in claimed:
            outcome = sending.attempt(row, settings)
            with world.db.session() as s:
                statuses.append(delivery.settle(s, settings, row, outcome))
    return statuses


def pump_until_settled(world: World, settings: Settings = LOOPBACK, timeout: float = 10
                       ) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pump(world, settings)
        with world.db.read_session() as s:
            if not s.scalars(select(WebhookDelivery.id)
                             .where(WebhookDelivery.status == "pending")).first():
                return
        time.sleep(0.05)
    raise AssertionError("deliveries still pending")


def rows(world: World) -> list[WebhookDelivery]:
    with world.db.read_session() as s:
        return list(s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_calls_events_arrive_signed_in_order_with_pseudonymous_ids(
        world: World, lecture: Lecture, receiver: Receiver) -> None:
    register(world, lecture, receiver)
    ada = lecture.join("Ada Lovelace")
    lecture.decide(ada, {"recording": "granted", "attendance": "not_objected"})
    lecture.leave(ada)
    lecture.end()
    pump_until_settled(world)
    got = receiver.wait_for(6)
    assert [d["body"]["type"] for d in got] == [
        "participant.joined", "decision.recorded", "gate.changed", "participant.left",
        "gate.changed", "call.ended"]
    assert all(d["verified"] for d in got) and receiver.bad_signatures == 0
    decision = got[1]["body"]["data"]
    assert decision["call_id"] == lecture.call_id and decision["participant_id"] == ada
    assert decision["choices"] == {"recording": "granted", "attendance": "not_objected"}
    assert decision["state"]["recording"] == "granted"
    assert got[2]["body"]["data"]["recording_allowed"] is True
    assert got[4]["body"]["data"]["recording_allowed"] is False
    seqs = [d["body"]["data"]["seq"] for d in got]
    assert seqs == sorted(seqs)
    for row in rows(world):
        assert "Ada" not in row.body and "Lecture 1" not in row.body
        assert set(json.loads(row.body)) == {"type", "timestamp", "data"}


def test_only_the_event_types_asked_for_and_nothing_without_an_endpoint(
        world: World, lecture: Lecture, receiver: Receiver) -> None:
    ada = lecture.join()  # no endpoint yet: nothing written
    assert rows(world) == []
    register(world, lecture, receiver, ["decision.recorded"])
    lecture.decide(ada, {"recording": "granted"})
    lecture.leave(ada)
    assert [r.event_type for r in rows(world)] == ["decision.recorded"]


def test_a_refused_request_writes_no_delivery(world: World, lecture: Lecture,
                                              receiver: Receiver) -> None:
    ada = lecture.join()
    register(world, lecture, receiver)
    with pytest.raises(UnknownPurpose):
        lecture.decide(ada, {"no_such_purpose": "granted"})
    assert rows(world) == []
    pump(world)
    assert receiver.attempts == []


def test_gate_changed_only_when_the_gate_turns(world: World, lecture: Lecture,
                                               receiver: Receiver) -> None:
    register(world, lecture, receiver, ["gate.changed"])
    ada = lecture.join()
    lecture.decide(ada, {"notes_email": "denied"})  # still blocking: no change
    assert rows(world) == []
    lecture.decide(ada, {"recording": "granted"})
    lecture.decide(ada, {"notes_email": "granted"}, fields={"email": "a@example.org"})
    assert [r.event_type for r in rows(world)] == ["gate.changed"]


def test_a_500_is_retried_with_the_same_webhook_id(world: World, lecture: Lecture,
                                                   receiver: Receiver) -> None:
    register(world, lecture, receiver)
    receiver.behaviour = "500"
    lecture.join()
    assert pump(world) == ["pending"]
    [row] = rows(world)
    assert (row.attempts, row.last_status, row.last_error) == (1, 500, "answered 500")
    receiver.behaviour = "ok"
    time.sleep(0.1)
    pump_until_settled(world)
    [got] = receiver.wait_for(1)
    assert len({a["webhook-id"] for a in receiver.attempts}) == 1
    assert got["id"] == row.message_id
    [row] = rows(world)
    assert (row.status, row.attempts, row.last_status) == ("delivered", 2, 204)


@pytest.mark.parametrize("behaviour,error", [
    ("hang", "timeout"),
    ("slow", "timeout"),  # a 2xx after 20 s is too late: retried
    ("close", "connection closed without an answer"),
    ("redirect", "redirect (302) not followed"),
])
def test_failed_attempts_are_retried(world: World, lecture: Lecture, receiver: Receiver,
                                     behaviour: str, error: str) -> None:
    register(world, lecture, receiver)
    receiver.behaviour = behaviour
    lecture.join()
    started = time.monotonic()
    assert pump(world) == ["pending"]
    assert time.monotonic() - started < 3  # the 1 s timeout, not the receiver's pace
    [row] = rows(world)
    assert row.last_error == error and row.next_attempt_at is not None
    assert len(receiver.attempts) == 1  # the redirect was not followed
    receiver.behaviour = "ok"
    time.sleep(0.1)
    pump_until_settled(world)
    assert receiver.wait_for(1)[0]["id"] == row.message_id


def test_a_calls_next_delivery_waits_for_the_one_before(world: World, lecture: Lecture,
                                                       receiver: Receiver) -> None:
    register(world, lecture, receiver)
    receiver.behaviour = "500"
    ada = lecture.join()
    lecture.decide(ada, {"recording": "granted"})
    pump(world, rounds=3)
    assert {a["webhook-id"] for a in receiver.attempts} == {rows(world)[0].message_id}
    receiver.behaviour = "ok"
    time.sleep(0.1)
    pump_until_settled(world)
    assert [d["body"]["type"] for d in receiver.wait_for(3)] == [
        "participant.joined", "decision.recorded", "gate.changed"]


def test_given_up_after_the_retry_window_then_the_next_goes(
        world: World, lecture: Lecture, receiver: Receiver) -> None:
    register(world, lecture, receiver)
    short = Settings(allow_http_loopback=True, timeout=1.0, backoff=(0.2,), retry_window=0.3)
    receiver.behaviour = "500"
    ada = lecture.join()
    lecture.decide(ada, {"notes_email": "denied"})
    assert pump(world, short) == ["pending"]
    time.sleep(0.25)
    assert pump(world, short) == ["failed"]
    receiver.behaviour = "ok"
    pump_until_settled(world, short)
    first, second = rows(world)
    assert first.status == "failed" and second.status == "delivered"
    # A manual retry: one more attempt, with the same webhook-id.
    with world.db.session() as s:
        view = endpoints.retry(s, lecture.org_id, first.endpoint_id, first.message_id)
    assert view["status"] == "pending"
    pump_until_settled(world, short)
    assert [d["id"] for d in receiver.received] == [second.message_id, first.message_id]


def test_the_address_is_checked_again_at_delivery(world: World, lecture: Lecture,
                                                  receiver: Receiver) -> None:
    register(world, lecture, receiver)
    lecture.join()
    strict = Settings(allow_http_loopback=False, timeout=1.0, backoff=(0.05,))
    pump(world, strict)
    [row] = rows(world)
    assert row.last_error is not None and row.last_error.startswith("address refused")
    assert receiver.attempts == []


def test_a_claimed_row_is_not_claimed_twice(world: World, lecture: Lecture,
                                            receiver: Receiver) -> None:
    register(world, lecture, receiver)
    lecture.join()
    with world.db.session() as s:
        first = delivery.claim(s, LOOPBACK, 10)
    with world.db.session() as s:
        second = delivery.claim(s, LOOPBACK, 10)
    assert len(first) == 1 and second == []
    # A lease that ran out (its process died) lets the row go.
    later = utcnow() + timedelta(seconds=LOOPBACK.lease + 1)
    with world.db.session() as s:
        assert [c.row_id for c in delivery.claim(s, LOOPBACK, 10, later)] == [first[0].row_id]


def test_retention_purge_reports_in_its_transaction(world: World, lecture: Lecture,
                                                    receiver: Receiver) -> None:
    ada = lecture.join()
    lecture.decide(ada, {"notes_email": "granted"}, fields={"email": "a@example.org"})
    lecture.end()
    register(world, lecture, receiver, ["retention.purged"])
    later = utcnow() + timedelta(days=400)
    with world.db.session() as s:
        retention.purge(s, later)
    with world.db.session() as s:
        assert sealing.seal(s, later) == 1
    pump_until_settled(world)
    with world.db.session() as s:
        report = sealing.delete_proofs(s, world.ring, later + timedelta(days=1200))
    assert report.proofs_deleted == 1
    pump_until_settled(world)
    data = [d["body"]["data"] for d in receiver.wait_for(3)]
    assert data[0]["call_id"] == lecture.call_id and data[0]["stage"] == "personal_data"
    assert "email" in data[0]["fields"] and data[0]["values"] >= 1
    assert (data[1]["call_id"], data[1]["stage"]) == (lecture.call_id, "sealed")
    assert (data[2]["call_id"], data[2]["stage"]) == (lecture.call_id, "proof_deleted")
    # The log of the call's settled deliveries went with its proof; only the last is left.
    assert [r.event_type for r in rows(world)] == ["retention.purged"]


def test_erasure_and_a_notice_change_are_reported(world: World, lecture: Lecture,
                                                  receiver: Receiver) -> None:
    register(world, lecture, receiver, ["participant.erased", "notice.changed"])
    ada = lecture.join("Ada Lovelace")
    with world.db.session() as s:
        live.apply_one(s, live.Erase(lecture.call_id, ada, "api"))
    changed = copy.deepcopy(lecture_notice())
    changed["purposes"][1]["retention_days"] = 14  # notes_email changed: asked again
    world.publish_version(lecture.org_id, lecture.notice["id"], changed)
    with world.db.session() as s:
        calls.change_notice(s, lecture.org_id, lecture.call_id, 2)
    pump_until_settled(world)
    erased, notice = (d["body"] for d in receiver.wait_for(2))
    assert erased["type"] == "participant.erased"
    assert erased["data"]["participant_id"] == ada and erased["data"]["ledger_seq"] >= 2
    assert notice["type"] == "notice.changed"
    assert notice["data"]["notice"]["version"] == 2
    assert notice["data"]["asked_again"] == ["notes_email"] and notice["data"]["dropped"] == []
    assert "Ada" not in json.dumps(erased) + json.dumps(notice)


def test_concurrent_claimers_never_share_a_row(world: World, lecture: Lecture,
                                               receiver: Receiver) -> None:
    register(world, lecture, receiver, ["participant.joined"])
    for _ in range(12):  # twelve calls: twelve streams, each with a head to claim
        call = world.open_call(lecture.org_id, lecture.notice["id"])
        world.join(call["id"], {"display_name": "Ada"})
    taken: list[list[int]] = [[], [], []]

    def claimer(index: int) -> None:
        for _ in range(5):
            with world.db.session() as s:
                taken[index] += [c.row_id for c in delivery.claim(s, LOOPBACK, 4)]

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [row for rows_ in taken for row in rows_]
    assert len(every) == len(set(every)) == 12


def certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for `name` (and its key), as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.parametrize("cert_name,trusted,error", [
    ("localhost", True, None),
    ("localhost", False, "TLS handshake failed"),  # not signed by an authority trusted
    ("other.example", True, "TLS handshake failed"),  # the certificate names another host
])
def test_https_connects_to_the_checked_address_and_verifies_the_name(
        world: World, lecture: Lecture, tmp_path: Path, cert_name: str, trusted: bool,
        error: str | None) -> None:
    cert, key = certificate(tmp_path, cert_name)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    receiver = Receiver(tls=context, host="localhost")
    try:
        register(world, lecture, receiver, ["participant.joined"])
        lecture.join()
        settings = Settings(allow_http_loopback=True, timeout=2.0, backoff=(0.05,),
                            ca_file=str(cert) if trusted else None)
        pump(world, settings)
        [row] = rows(world)
        assert row.last_error == error
        if error is None:
            [got] = receiver.wait_for(1)
            assert got["verified"] and got["id"] == row.message_id
    finally:
        receiver.stop()


def test_the_settled_log_is_pruned_the_pending_kept(world: World, lecture: Lecture,
                                                    receiver: Receiver) -> None:
    register(world, lecture, receiver, ["participant.joined"])
    lecture.join()
    pump_until_settled(world)
    receiver.stop()
    lecture.join()
    with world.db.session() as s:
        assert delivery.prune(s, utcnow() + timedelta(days=1)) == 1
    assert [r.status for r in rows(world)] == ["pending"]
