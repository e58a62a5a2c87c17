"""CONTRACT §C Sealing: once every purpose's retention of a call has passed, the call holds no
personal data (title, external_ref, host updates, participants), only the pseudonymous proof;
after the organisation's proof_retention_days that proof is deleted, leaving a closing signed
checkpoint that verify-ledger checks. The clock is moved by passing `now`."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import SECRET
from tests.services.support import CANARY_EMAIL, CANARY_NAME, Lecture, World
from tests.services.test_receipts import jose_verify
from widget_server.domain.models import (
    Base,
    Call,
    CallUpdate,
    Checkpoint,
    DecisionEvent,
    Participant,
    PurposeState,
    Receipt,
    StateCount,
)
from widget_server.domain.signing import KeyRing
from widget_server.services import calls, checkpoints, organisations, sealing

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
TITLE = "Seminar with Zebulon Quincewhistle"  # a title naming a person
EXTERNAL_REF = "zq-private-meeting-4242"
PARTICIPANT_REF = "meet-user-zq-7781"  # the meeting platform's id of Ada (data-participant-ref)
CANARIES = (CANARY_NAME, CANARY_EMAIL, TITLE, EXTERNAL_REF, PARTICIPANT_REF)
PROOF_DAYS = 1095  # the default proof_retention_days
LONGEST = 365  # the lecture notice's longest retention (attendance)
PER_CALL = (DecisionEvent, Receipt, Checkpoint, CallUpdate, Participant, StateCount)


def lecture_with_canaries(world: World, lecture: Lecture) -> tuple[str, str]:
    """A call titled and referenced with personal data, where Ada gives her name and email;
    ended. Returns (call id, Ada's id)."""
    with world.db.session() as s:
        call_id = calls.open_call(s, lecture.org_id, SECRET, title=TITLE,
                                  notice_id=lecture.notice["id"],
                                  external_ref=EXTERNAL_REF)["id"]
    ada = world.join(call_id, {"display_name": CANARY_NAME},
                     ref=PARTICIPANT_REF)["participant"]["id"]
    world.decide(call_id, ada, {"recording": "granted", "notes_email": "granted"},
                 fields={"email": CANARY_EMAIL})
    world.decide(call_id, ada, {"recording": "withdrawn"})
    bob = world.join(call_id, {"display_name": "Bob Babbage"})["participant"]["id"]
    world.decide(call_id, bob, {"recording": "granted"})
    world.end_call(lecture.org_id, call_id)
    return call_id, ada


def ended_at(world: World, call_id: str) -> datetime:
    with world.db.read_session() as s:
        value = s.scalar(select(Call.ended_at).where(Call.id == call_id))
    assert value is not None
    return value


def text_dump(world: World) -> str:
    """Every value of every column of every table, as text: what someone reading the
    database sees (JSON columns as JSON)."""
    out = []
    with world.db.read_session() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)).all():
                out.extend(json.dumps(v, default=str) if isinstance(v, dict | list) else str(v)
                           for v in row)
    return "\n".join(out)


def retention_pass(world: World, now: datetime) -> int:
    """As the server's purge pass: retention, then sealing."""
    world.purge(now)
    with world.db.session() as s:
        return sealing.seal(s, now)


def delete_proofs(world: World, now: datetime, ring: KeyRing | None = None
                  ) -> sealing.ProofReport:
    with world.db.session() as s:
        return sealing.delete_proofs(s, ring or world.ring, now)


def rows_of(world: World, call_id: str) -> dict[str, int]:
    """How many rows each table holds for this call."""
    people = select(Participant.id).where(Participant.call_id == call_id)
    where = {"decision_event": DecisionEvent.call_id == call_id,
             "receipt": Receipt.participant_id.in_(people),
             "checkpoint": Checkpoint.call_id == call_id,
             "call_update": CallUpdate.call_id == call_id,
             "participant": Participant.call_id == call_id,
             "state_count": StateCount.call_id == call_id,
             "purpose_state": PurposeState.participant_id.in_(people)}
    tables = {m.__tablename__: m for m in (*PER_CALL, PurposeState)}
    with world.db.read_session() as s:
        return {name: int(s.scalar(select(func.count()).select_from(tables[name])
                                   .where(condition)) or 0)
                for name, condition in where.items()}


def the_call(world: World, call_id: str) -> Call:
    with world.db.read_session() as s:
        call = s.get(Call, call_id)
        assert call is not None
        return call


def sealed_call(world: World, lecture: Lecture) -> tuple[str, str, datetime]:
    call_id, ada = lecture_with_canaries(world, lecture)
    sealed_at = ended_at(world, call_id) + LONGEST * DAY
    assert retention_pass(world, sealed_at) == 1
    return call_id, ada, sealed_at


# sealing -----------------------------------------------------------------------------------
def test_sealing_leaves_no_personal_data_in_any_column_of_any_table(world: World,
                                                                    lecture: Lecture) -> None:
    call_id, ada = lecture_with_canaries(world, lecture)
    before = text_dump(world)
    assert all(canary in before for canary in CANARIES)  # the test would see them
    updates = rows_of(world, call_id)["call_update"]
    assert updates > 0

    end = ended_at(world, call_id)
    assert retention_pass(world, end + LONGEST * DAY - SECOND) == 0  # attendance still runs
    assert the_call(world, call_id).sealed_at is None
    assert TITLE in text_dump(world) and CANARY_NAME in text_dump(world)

    assert retention_pass(world, end + LONGEST * DAY) == 1
    after = text_dump(world)
    for canary in CANARIES:
        assert canary not in after, canary
    assert "Bob Babbage" not in after
    call = the_call(world, call_id)
    assert (call.title, call.external_ref) == ("", None)
    assert call.sealed_at == end + LONGEST * DAY
    left = rows_of(world, call_id)
    assert left["call_update"] == 0  # host updates are gone with the dashboard
    # Only the pseudonymous proof remains: ledger, receipts, checkpoints (and who chose what).
    assert left["decision_event"] == 6 and left["receipt"] == 3 and left["checkpoint"] >= 1
    assert world.states(ada) == {"recording": "withdrawn", "notes_email": "granted",
                                 "attendance": "not_objected", "service": "informed"}
    person = world.participant(ada)
    assert (person.display_name, person.email, person.phone) == (None, None, None)
    verdict = world.verify()
    assert verdict.ok and (verdict.sealed, verdict.closed) == (1, 0), verdict
    with world.db.read_session() as s:
        assert calls.get_call(s, lecture.org_id, call_id)["sealed_at"] == call.sealed_at


def test_sealing_is_idempotent_and_never_touches_an_open_call(world: World,
                                                              lecture: Lecture) -> None:
    ada = lecture.join(CANARY_NAME)
    lecture.decide(ada, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    call_id, _, sealed_at = sealed_call(world, lecture)
    assert retention_pass(world, sealed_at + 10 * DAY) == 0
    assert the_call(world, call_id).sealed_at == sealed_at
    far = datetime.now().astimezone() + 5000 * DAY
    assert retention_pass(world, far) == 0
    assert the_call(world, lecture.call_id).sealed_at is None
    assert world.participant(ada).email == CANARY_EMAIL


def test_a_call_is_sealed_at_its_longest_purpose_even_one_needing_no_data(world: World
                                                                          ) -> None:
    content: dict[str, Any] = {
        "name": "Short", "controller": {"name": "Org", "contact_email": "dpo@example.org"},
        "default_language": "en",
        "purposes": [
            {"key": "recording", "lawful_basis": "consent", "gates_recording": True,
             "data": ["display_name"], "retention_days": 10,
             "text": {"en": {"title": "Record", "description": "With your name."}}},
            {"key": "service", "lawful_basis": "contract", "data": [], "retention_days": 40,
             "text": {"en": {"title": "Run it", "description": "Needed."}}}]}
    lecture = Lecture(world, content)
    pid = lecture.join(None)
    lecture.decide(pid, {"recording": "granted"}, fields={"display_name": CANARY_NAME})
    lecture.end()
    end = ended_at(world, lecture.call_id)
    assert retention_pass(world, end + 10 * DAY) == 0  # the name goes, the call stays
    assert world.participant(pid).display_name is None
    assert retention_pass(world, end + 40 * DAY) == 1


# proof retention ---------------------------------------------------------------------------
def test_after_proof_retention_only_the_closing_checkpoint_remains(world: World,
                                                                   lecture: Lecture) -> None:
    call_id, _, sealed_at = sealed_call(world, lecture)
    head = the_call(world, call_id)
    lecture.join("Other")  # another call of the organisation, still open: untouched
    other_before = rows_of(world, lecture.call_id)

    assert delete_proofs(world, sealed_at + PROOF_DAYS * DAY - SECOND).proofs_deleted == 0
    assert rows_of(world, call_id)["decision_event"] == 6
    report = delete_proofs(world, sealed_at + PROOF_DAYS * DAY)
    assert (report.proofs_deleted, report.refused) == (1, [])

    left = rows_of(world, call_id)
    assert left == {"decision_event": 0, "receipt": 0, "checkpoint": 1, "call_update": 0,
                    "participant": 0, "state_count": 0, "purpose_state": 0}
    assert rows_of(world, lecture.call_id) == other_before
    with world.db.read_session() as s:
        [closing] = checkpoints.checkpoints_of(s, call_id)
    assert closing["closing"] is True and closing["final"] is True
    assert (closing["seq"], closing["hash"], closing["events"]) == (6, head.ledger_head, 6)
    payload = jose_verify(closing["jws"], world.ring.jwks())
    assert payload == {"call_id": call_id, "seq": 6, "hash": head.ledger_head, "final": True,
                       "closing": True, "events": 6, "signed_at": payload["signed_at"]}
    call = the_call(world, call_id)
    assert call.proof_deleted_at == sealed_at + PROOF_DAYS * DAY
    verdict = world.verify()
    assert verdict.ok and (verdict.sealed, verdict.closed) == (0, 1), verdict
    assert world.verify(call_id).ok
    # Nothing more to delete, nothing re-signed by the checkpoint pass.
    assert delete_proofs(world, sealed_at + 5000 * DAY).proofs_deleted == 0
    with world.db.read_session() as s:
        assert call_id not in {head[0] for head in checkpoints.pending_heads(s)}


def test_the_organisations_proof_retention_days_decide(world: World, lecture: Lecture) -> None:
    call_id, _, sealed_at = sealed_call(world, lecture)
    with world.db.session() as s:
        organisations.set_proof_retention(s, lecture.org_id, 30)
    # Another organisation keeps the default: its sealed call stays.
    other = Lecture(world)
    other_call, _, other_sealed = sealed_call(world, other)
    report = delete_proofs(world, max(sealed_at, other_sealed) + 30 * DAY)
    assert report.proofs_deleted == 1
    assert rows_of(world, call_id)["decision_event"] == 0
    assert rows_of(world, other_call)["decision_event"] == 6


@pytest.mark.parametrize("tamper", ["delete", "forge", "other_key", "head", "event_left",
                                    "two_closings"])
def test_a_missing_or_forged_closing_checkpoint_is_caught(world: World, lecture: Lecture,
                                                          tamper: str) -> None:
    call_id, _, sealed_at = sealed_call(world, lecture)
    delete_proofs(world, sealed_at + PROOF_DAYS * DAY)
    assert world.verify().ok
    with world.db.session() as s:
        row = s.scalar(select(Checkpoint).where(Checkpoint.call_id == call_id))
        call = s.get(Call, call_id)
        assert row is not None and call is not None
        if tamper == "delete":
            s.delete(row)
        elif tamper == "forge":  # a closing checkpoint over fewer events, signature kept
            head, payload, signature = row.jws.split(".")
            body = json.loads(_unb64(payload))
            body["events"] = 3
            row.jws = ".".join([head, _b64(json.dumps(body).encode()), signature])
        elif tamper == "other_key":  # signed, but not by this server
            forged = checkpoints.add_closing(s, KeyRing.generate(), call_id, call.ledger_seq,
                                             call.ledger_head, call.ledger_seq,
                                             sealed_at + PROOF_DAYS * DAY)
            s.delete(row)
            s.flush()
            assert forged.id is not None
        elif tamper == "head":  # the call row made to claim a shorter ledger
            call.ledger_seq = 3
        elif tamper == "event_left":
            s.add(DecisionEvent(call_id=call_id, seq=1, event_id="x", participant_id="p",
                                purpose=None, state="notice_served", notice_version=1,
                                notice_hash="h", language="en", channel="widget",
                                recorded_at=sealed_at, prev_hash="g", hash="h"))
        elif tamper == "two_closings":
            checkpoints.add_closing(s, world.ring, call_id, call.ledger_seq, call.ledger_head,
                                    call.ledger_seq, sealed_at + PROOF_DAYS * DAY)
        s.commit()
    verdict = world.verify()
    assert not verdict.ok and verdict.call_id == call_id, verdict
    assert CAUGHT[tamper] in (verdict.problem or ""), verdict


CAUGHT = {"delete": "closing signed checkpoint is missing", "forge": "signature does not match",
          "other_key": "not one of this server's keys", "head": "does not match the call's",
          "event_left": "ledger events remain", "two_closings": "more than its closing"}


def test_a_tampered_ledger_is_kept_not_closed_over(world: World, lecture: Lecture) -> None:
    call_id, _, sealed_at = sealed_call(world, lecture)
    world.sql("UPDATE decision_event SET state = 'granted' WHERE call_id = :c AND seq = 4",
              c=call_id)
    report = delete_proofs(world, sealed_at + PROOF_DAYS * DAY)
    assert (report.proofs_deleted, report.refused) == (0, [call_id])
    assert rows_of(world, call_id)["decision_event"] == 6
    assert the_call(world, call_id).proof_deleted_at is None
    verdict = world.verify()
    assert not verdict.ok and verdict.seq == 4


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
