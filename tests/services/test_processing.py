"""The processing plan (CONTRACT §D) as a service: per participant whether they may be processed
for the grant's purpose, with only that purpose's data and only while allowed; the call-level
`allowed`; the plan's seq; `applied` and its delay; and the rules as a pure function."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from tests.services.support import CANARY_EMAIL, CANARY_NAME, Lecture, World
from widget_server.domain.errors import Unauthorized, ValidationFailed
from widget_server.domain.ids import utcnow
from widget_server.domain.lawful_basis import LawfulBasis
from widget_server.domain.models import Call, CallUpdate, Participant
from widget_server.domain.notice import Purpose
from widget_server.domain.processing import Subject, may_process, plan_for
from widget_server.services import grants, processing
from widget_server.services.grants import GrantIdentity

REF = "zoom-user-4711"


def grant(world: World, lecture: Lecture, purpose: str | None, role: str = "processor"
          ) -> GrantIdentity:
    with world.db.session() as s:
        made = grants.create_grant(s, lecture.org_id, lecture.call_id, name="Bot",
                                   purpose=purpose, role=role)
    with world.db.read_session() as s:
        return grants.authenticate(s, made["token"], role)


def plan(world: World, who: GrantIdentity) -> dict[str, Any]:
    with world.db.read_session() as s:
        return processing.plan(s, who)


def entry(plan_: dict[str, Any], pid: str) -> dict[str, Any]:
    [found] = [p for p in plan_["participants"] if p["id"] == pid]
    return found


def _seq(world: World, call_id: str) -> int:
    with world.db.read_session() as s:
        call = s.get(Call, call_id)
        assert call is not None
        return call.update_seq


# the rules, pure ---------------------------------------------------------------------------
def purpose(basis: LawfulBasis, data: frozenset[str] = frozenset({"email"}),
            gates: bool = False) -> Purpose:
    return Purpose("p", basis, data, 30, gates, {})


@pytest.mark.parametrize(("basis", "state", "allowed"), [
    (LawfulBasis.CONSENT, "granted", True), (LawfulBasis.CONSENT, "pending", False),
    (LawfulBasis.CONSENT, "denied", False), (LawfulBasis.CONSENT, "withdrawn", False),
    (LawfulBasis.LEGITIMATE_INTERESTS, "not_objected", True),
    (LawfulBasis.LEGITIMATE_INTERESTS, "objected", False),
    (LawfulBasis.CONTRACT, "informed", True), (LawfulBasis.LEGAL_OBLIGATION, "informed", True),
])
def test_who_may_be_processed_follows_the_basis(basis: LawfulBasis, state: str,
                                                allowed: bool) -> None:
    assert may_process(purpose(basis), state) is allowed


def test_a_purpose_the_notice_no_longer_has_allows_nobody() -> None:
    assert may_process(None, "granted") is False
    subject = Subject("p_1", None, True, "granted", {"email": "a@b.c"})
    assert plan_for("gone", None, True, [subject])["allowed"] is False


def test_fields_are_the_purposes_only_and_only_while_allowed() -> None:
    held = {"email": "a@b.c", "display_name": "Ann", "phone": "+49"}
    consent = purpose(LawfulBasis.CONSENT)
    granted = plan_for("p", consent, False, [Subject("p_1", "r", True, "granted", held)])
    assert granted["participants"][0]["fields"] == {"email": "a@b.c"}
    withdrawn = plan_for("p", consent, False, [Subject("p_1", "r", True, "withdrawn", held)])
    assert "fields" not in withdrawn["participants"][0]
    assert withdrawn["allowed"] is False  # nobody may be processed: nothing may run


def test_a_gating_purpose_runs_only_with_the_gate() -> None:
    gating = purpose(LawfulBasis.CONSENT, frozenset(), gates=True)
    subject = Subject("p_1", None, True, "granted", {})
    assert plan_for("p", gating, False, [subject])["allowed"] is False
    assert plan_for("p", gating, True, [subject])["allowed"] is True


# the service ----------------------------------------------------------------------------------
def test_a_plan_lists_everyone_with_ref_and_only_its_purposes_data(world: World,
                                                                   lecture: Lecture) -> None:
    ann = world.join(lecture.call_id, {"display_name": CANARY_NAME}, ref=REF)["participant"]["id"]
    lecture.decide(ann, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    bob = lecture.join("Bob")
    mailer = grant(world, lecture, "notes_email")
    got = plan(world, mailer)
    assert (got["purpose"], got["call_id"], got["seq"]) == ("notes_email", lecture.call_id,
                                                            _seq(world, lecture.call_id))
    assert got["allowed"] is True
    assert entry(got, ann) == {"id": ann, "ref": REF, "state": "granted", "present": True,
                               "allowed": True, "fields": {"email": CANARY_EMAIL}}
    assert entry(got, bob) == {"id": bob, "ref": None, "state": "pending", "present": True,
                               "allowed": False}
    # The attendance list (legitimate interest, name) sees names, never the email.
    attendance = plan(world, grant(world, lecture, "attendance"))
    assert entry(attendance, ann)["fields"] == {"display_name": CANARY_NAME}
    assert CANARY_EMAIL not in str(attendance)
    # Running the call (contract) needs no data: allowed, no fields.
    assert entry(plan(world, grant(world, lecture, "service")), ann)["fields"] == {}


def test_a_withdrawal_takes_the_participant_and_their_data_out_of_the_plan(
        world: World, lecture: Lecture) -> None:
    ann = lecture.join(CANARY_NAME)
    lecture.decide(ann, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    mailer = grant(world, lecture, "notes_email")
    before = plan(world, mailer)
    lecture.decide(ann, {"notes_email": "withdrawn"})
    after = plan(world, mailer)
    assert after["seq"] > before["seq"]
    assert entry(after, ann) == {"id": ann, "ref": None, "state": "withdrawn", "present": True,
                                 "allowed": False}
    assert after["allowed"] is False and CANARY_EMAIL not in str(after)


def test_an_objection_takes_the_name_out_of_the_attendance_plan(world: World,
                                                               lecture: Lecture) -> None:
    ann = lecture.join(CANARY_NAME)
    attendance = grant(world, lecture, "attendance")
    assert entry(plan(world, attendance), ann)["allowed"] is True
    lecture.decide(ann, {"attendance": "objected"})
    assert "fields" not in entry(plan(world, attendance), ann)
    assert CANARY_NAME not in str(plan(world, attendance))


def test_the_recording_plan_follows_the_gate(world: World, lecture: Lecture) -> None:
    recorder = grant(world, lecture, "recording")
    assert plan(world, recorder)["allowed"] is False  # nobody present
    ann, bob = lecture.join("Ann"), lecture.join("Bob")
    lecture.decide(ann, {"recording": "granted"})
    got = plan(world, recorder)
    assert got["allowed"] is False and entry(got, ann)["allowed"] is True  # Bob blocks
    lecture.decide(bob, {"recording": "granted"})
    assert plan(world, recorder)["allowed"] is True
    lecture.leave(bob)
    got = plan(world, recorder)
    assert got["allowed"] is True and entry(got, bob)["present"] is False


def test_a_revoked_grant_reads_no_plan(world: World, lecture: Lecture) -> None:
    recorder = grant(world, lecture, "recording")
    with world.db.session() as s:
        grants.revoke_grant(s, lecture.org_id, lecture.call_id, recorder.id)
    with pytest.raises(Unauthorized):
        plan(world, recorder)
    with world.db.session() as s, pytest.raises(Unauthorized):
        processing.record_applied(s, recorder, 0)


def test_applied_records_the_seq_and_the_delay_after_the_change(world: World,
                                                               lecture: Lecture) -> None:
    recorder = grant(world, lecture, "recording")
    ann = lecture.join("Ann")
    seq = _seq(world, lecture.call_id)
    with world.db.session() as s:  # the change happened 1.5 s before the processor confirms
        s.execute(update(CallUpdate).where(CallUpdate.call_id == lecture.call_id,
                                           CallUpdate.seq == seq)
                  .values(created_at=utcnow() - timedelta(seconds=1.5)))
        s.commit()
    with world.db.session() as s:
        done = processing.record_applied(s, recorder, seq)
    assert done["last_applied_seq"] == seq and 1500 <= done["applied_delay_ms"] < 10_000
    lecture.decide(ann, {"recording": "granted"})
    with world.db.session() as s:  # an older acknowledgement arriving late changes nothing
        assert processing.record_applied(s, recorder, 0)["last_applied_seq"] == seq
    with world.db.read_session() as s:
        [shown] = processing.processors(s, lecture.call_id)
    assert (shown["name"], shown["purpose"], shown["last_applied_seq"]) == ("Bot", "recording",
                                                                           seq)


def test_applied_for_a_plan_not_made_yet_is_refused(world: World, lecture: Lecture) -> None:
    recorder = grant(world, lecture, "recording")
    with world.db.session() as s, pytest.raises(ValidationFailed) as refused:
        processing.record_applied(s, recorder, 99)
    assert "seq" in refused.value.fields
    with world.db.read_session() as s:
        assert processing.processors(s, lecture.call_id)[0]["last_applied_seq"] is None


# ref -------------------------------------------------------------------------------------------
def test_the_ref_is_stored_and_a_rejoin_may_rename_it(world: World, lecture: Lecture) -> None:
    joined = world.join(lecture.call_id, {"display_name": "Ann"}, ref=REF)
    ann = joined["participant"]["id"]
    assert world.participant(ann).ref == REF
    world.join(lecture.call_id, {}, resume=joined["participant"]["resume"], ref="seat-2")
    assert world.participant(ann).ref == "seat-2"
    world.join(lecture.call_id, {}, resume=joined["participant"]["resume"])
    assert world.participant(ann).ref == "seat-2"  # a join without one keeps it


@pytest.mark.parametrize("ref", ["", "   ", "x" * 129, "a\nb", "a\x00b", 42, ["r"], {"r": 1},
                                 "\ud800"])
def test_a_bad_ref_is_refused_naming_it_and_stores_nothing(world: World, lecture: Lecture,
                                                           ref: Any) -> None:
    before = world.count(Participant)
    with pytest.raises(ValidationFailed) as refused:
        world.join(lecture.call_id, {"display_name": "Ann"}, ref=ref)
    assert "ref" in refused.value.fields
    assert world.count(Participant) == before


def test_a_ref_of_128_characters_is_taken(world: World, lecture: Lecture) -> None:
    ann = world.join(lecture.call_id, {"display_name": "Ann"}, ref="é" * 128)
    assert world.participant(ann["participant"]["id"]).ref == "é" * 128
