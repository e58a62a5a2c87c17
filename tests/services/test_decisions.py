"""DESIGN §2 Purpose (the basis decides the choices), minimisation at decision time, idempotency
and ordering of decisions."""

from typing import Any

import pytest

from tests.services.support import CANARY_EMAIL, Lecture, World, consent_name_notice
from widget_server.domain.errors import (
    CallEnded,
    InvalidState,
    MissingField,
    NotFound,
    UnexpectedField,
    UnknownPurpose,
    ValidationFailed,
)
from widget_server.domain.models import DecisionEvent, Receipt
from widget_server.sockets import payloads


@pytest.mark.parametrize(("choices", "error", "named"), [
    ({"recording": "objected"}, InvalidState, "recording"),
    ({"recording": "not_objected"}, InvalidState, "recording"),
    ({"recording": "pending"}, InvalidState, "recording"),
    ({"recording": "informed"}, InvalidState, "recording"),
    ({"attendance": "granted"}, InvalidState, "attendance"),
    ({"attendance": "denied"}, InvalidState, "attendance"),
    ({"attendance": "withdrawn"}, InvalidState, "attendance"),
    ({"service": "granted"}, InvalidState, "service"),
    ({"service": "denied"}, InvalidState, "service"),
    ({"service": "objected"}, InvalidState, "service"),
    ({"service": "informed"}, InvalidState, "service"),
    ({"recording": "withdrawn"}, InvalidState, "recording"),        # nothing granted yet
    ({"recording": "GRANTED"}, InvalidState, "recording"),
    # not text: refused at the edge (sockets/payloads.py) before any rule runs
    ({"recording": True}, ValidationFailed, "recording"),
    ({"recording": "granted", "service": "granted"}, InvalidState, "service"),
    ({"transcript": "granted"}, UnknownPurpose, "transcript"),
    ({"recording": "granted", "transcript": "granted"}, UnknownPurpose, "transcript"),
    ({}, ValidationFailed, "choices"),
    (["recording", "granted"], ValidationFailed, "choices"),
    (None, ValidationFailed, "choices"),
])
def test_a_choice_the_lawful_basis_does_not_allow_is_refused_and_nothing_is_stored(
        world: World, lecture: Lecture, choices: Any, error: type[Exception],
        named: str) -> None:
    pid = lecture.join()
    before = world.footprint()
    with pytest.raises(error) as caught:
        lecture.decide(pid, choices)
    assert named in caught.value.fields  # type: ignore[attr-defined]
    assert world.footprint() == before


def test_the_choices_each_basis_allows_are_recorded(world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    result = lecture.decide(pid, {"recording": "granted", "attendance": "objected"})
    assert result["state"] == {"recording": "granted", "notes_email": "pending",
                               "attendance": "objected", "service": "informed"}
    lecture.decide(pid, {"attendance": "not_objected", "recording": "denied"})
    assert world.states(pid) == {"recording": "denied", "notes_email": "pending",
                                 "attendance": "not_objected", "service": "informed"}
    assert [(e.purpose, e.state) for e in world.events(lecture.call_id)] == [
        (None, "notice_served"), ("recording", "granted"), ("attendance", "objected"),
        ("attendance", "not_objected"), ("recording", "denied")]


@pytest.mark.parametrize("path", [["denied"], ["granted", "withdrawn"], ["granted", "denied"]])
def test_withdrawing_needs_a_grant_to_withdraw(world: World, lecture: Lecture,
                                               path: list[str]) -> None:
    pid = lecture.join()
    for state in path:
        lecture.decide(pid, {"recording": state})
    before = world.footprint()
    with pytest.raises(InvalidState):
        lecture.decide(pid, {"recording": "withdrawn"})
    assert world.footprint() == before
    # ... and any state may be granted again
    assert lecture.decide(pid, {"recording": "granted"})["state"]["recording"] == "granted"


def test_granting_the_notes_email_needs_the_email(world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    before = world.footprint()
    for fields in (None, {}, {"email": ""}):
        with pytest.raises(MissingField) as caught:
            lecture.decide(pid, {"notes_email": "granted"}, fields=fields)
        assert list(caught.value.fields) == ["email"]
    with pytest.raises(ValidationFailed) as invalid:
        lecture.decide(pid, {"notes_email": "granted"}, fields={"email": "not-an-address"})
    assert "email" in invalid.value.fields
    assert world.footprint() == before
    lecture.decide(pid, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    assert world.participant(pid).email == CANARY_EMAIL


@pytest.mark.parametrize(("choices", "fields", "named"), [
    ({"recording": "granted"}, {"email": CANARY_EMAIL}, "email"),
    ({"notes_email": "denied"}, {"email": CANARY_EMAIL}, "email"),
    ({"attendance": "objected"}, {"email": CANARY_EMAIL}, "email"),
    ({"notes_email": "granted"}, {"email": CANARY_EMAIL, "phone": "+44 20 7946 0000"}, "phone"),
    ({"notes_email": "granted"}, {"email": CANARY_EMAIL, "age": "42"}, "age"),
    # the name is given at join (attendance needs it); a decision cannot bring it
    ({"recording": "granted"}, {"display_name": "Someone Else"}, "display_name"),
])
def test_a_field_no_purpose_granted_here_needs_is_refused_and_nothing_is_stored(
        world: World, lecture: Lecture, choices: dict[str, str], fields: dict[str, str],
        named: str) -> None:
    pid = lecture.join()
    before = world.footprint()
    with pytest.raises(UnexpectedField) as caught:
        lecture.decide(pid, choices, fields=fields)
    assert named in caught.value.fields
    assert world.footprint() == before
    assert world.participant(pid).email is None


def test_withdrawing_the_notes_email_erases_the_email_at_once(world: World,
                                                              lecture: Lecture) -> None:
    pid = lecture.join()
    lecture.decide(pid, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    lecture.decide(pid, {"recording": "granted"})  # another grant keeps it
    assert world.participant(pid).email == CANARY_EMAIL
    lecture.decide(pid, {"notes_email": "withdrawn"})
    row = world.participant(pid)
    assert row.email is None
    assert row.display_name == "Ada Lovelace"  # attendance still needs the name
    # granting again needs the email again
    with pytest.raises(MissingField):
        lecture.decide(pid, {"notes_email": "granted"})
    lecture.decide(pid, {"notes_email": "granted"}, fields={"email": "second@example.org"})
    assert world.participant(pid).email == "second@example.org"
    lecture.decide(pid, {"notes_email": "denied"})  # denying after a grant erases too
    assert world.participant(pid).email is None


def test_denying_never_stores_the_email(world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    lecture.decide(pid, {"notes_email": "denied"})
    assert world.participant(pid).email is None
    with pytest.raises(UnexpectedField):
        lecture.decide(pid, {"notes_email": "denied"}, fields={"email": CANARY_EMAIL})
    assert world.participant(pid).email is None


def test_a_name_needed_only_by_consent_purposes_lives_exactly_while_one_is_granted(
        world: World) -> None:
    content = consent_name_notice()
    content["purposes"].append({
        "key": "transcript", "lawful_basis": "consent", "data": ["display_name"],
        "retention_days": 30, "text": {"en": {"title": "Transcript", "description": "Named."}}})
    call = Lecture(world, content)
    pid = call.join(None)
    with pytest.raises(MissingField):
        call.decide(pid, {"recording": "granted"})
    call.decide(pid, {"recording": "granted"}, fields={"display_name": "Ada Lovelace"})
    call.decide(pid, {"transcript": "granted"})  # already held: not asked again
    call.decide(pid, {"recording": "withdrawn"})
    assert world.participant(pid).display_name == "Ada Lovelace"  # transcript still needs it
    call.decide(pid, {"transcript": "withdrawn"})
    assert world.participant(pid).display_name is None


def test_the_same_event_id_returns_the_same_receipt_and_records_nothing(
        world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    first = lecture.decide(pid, {"recording": "granted"}, event_id="00000000-0000-4000-8000-000000000001")
    before = world.footprint()
    again = lecture.decide(pid, {"recording": "granted"}, event_id="00000000-0000-4000-8000-000000000001")
    assert again["receipt"] == first["receipt"]
    assert again["state"] == first["state"]
    assert again["update"] is None
    # even a retry carrying other choices gets the first answer, and records nothing
    other = lecture.decide(pid, {"recording": "denied"}, event_id="00000000-0000-4000-8000-000000000001")
    assert other["receipt"] == first["receipt"]
    assert world.footprint() == before
    assert world.states(pid)["recording"] == "granted"


def test_another_event_id_records_a_new_event(world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    first = lecture.decide(pid, {"recording": "granted"}, event_id="00000000-0000-4000-8000-000000000001")
    second = lecture.decide(pid, {"recording": "granted"}, event_id="00000000-0000-4000-8000-000000000002")
    assert second["receipt"]["id"] != first["receipt"]["id"]
    # seq 1 is the join's notice_served event
    assert (first["receipt"]["seq"], second["receipt"]["seq"]) == (2, 3)
    assert world.count(DecisionEvent) == 3 and world.count(Receipt) == 2


def test_an_event_id_is_scoped_to_its_participant(world: World, lecture: Lecture) -> None:
    ada, bob = lecture.join("Ada"), lecture.join("Bob")
    first = lecture.decide(ada, {"recording": "granted"}, event_id="00000000-0000-4000-8000-000000000001")
    bobs = lecture.decide(bob, {"recording": "denied"}, event_id="00000000-0000-4000-8000-000000000001")
    assert bobs["receipt"]["id"] != first["receipt"]["id"]
    assert bobs["state"]["recording"] == "denied"
    assert world.states(bob)["recording"] == "denied"
    assert world.count(DecisionEvent) == 4  # two notice_served, two decisions


@pytest.mark.parametrize("event_id", [
    None, "", "x" * 65, 17, "evt-1", "ada.lovelace@example.org", "\ud800" * 36,
    "00000000-0000-4000-8000-00000000000g", "{00000000-0000-4000-8000-000000000001}"])
def test_an_event_id_is_a_uuid_never_free_text(world: World, lecture: Lecture,
                                               event_id: Any) -> None:
    """Free text must never reach the permanent ledger (an email was exported and survived
    every purge), so an event_id is a UUID in canonical text form, or refused."""
    pid = lecture.join()
    before = world.footprint()
    with pytest.raises(ValidationFailed) as caught:
        payloads.decide_command(lecture.call_id, pid, {"event_id": event_id,
                                                       "choices": {"recording": "granted"}})
    assert list(caught.value.fields) == ["event_id"]
    assert world.footprint() == before


def test_an_event_id_is_stored_in_canonical_lower_case(world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    lecture.decide(pid, {"recording": "granted"},
                   event_id="A0000000-0000-4000-8000-00000000000B")
    assert world.events(lecture.call_id)[-1].event_id == "a0000000-0000-4000-8000-00000000000b"


def test_the_receipt_names_the_committed_ledger_event(world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    result = lecture.decide(pid, {"recording": "granted", "notes_email": "granted"},
                            fields={"email": CANARY_EMAIL})
    served, *events = world.events(lecture.call_id)
    assert (served.purpose, served.state, served.seq) == (None, "notice_served", 1)
    assert len(events) == 2
    assert result["receipt"]["seq"] == events[-1].seq == 3
    assert result["receipt"]["hash"] == events[-1].hash
    assert {e.event_id for e in events} == {events[0].event_id} != {served.event_id}


def test_no_decision_on_an_ended_call(world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    early = lecture.decide(pid, {"recording": "granted"}, event_id="00000000-0000-4000-8000-000000000001")
    lecture.end()
    before = world.footprint()
    with pytest.raises(CallEnded):
        lecture.decide(pid, {"recording": "withdrawn"})
    assert world.footprint() == before
    # a retry of an event recorded before the end still gets its receipt
    assert lecture.decide(pid, {"recording": "granted"}, event_id="00000000-0000-4000-8000-000000000001")["receipt"] == \
        early["receipt"]


def test_a_participant_of_another_call_is_not_found(world: World, lecture: Lecture) -> None:
    other = world.open_call(lecture.org_id, lecture.notice["id"], title="Other lecture")
    pid = lecture.join()
    with pytest.raises(NotFound):
        world.decide(other["id"], pid, {"recording": "granted"})
    with pytest.raises(NotFound):
        world.decide(lecture.call_id, "p_nobody", {"recording": "granted"})
    assert [e.state for e in world.events(lecture.call_id)] == ["notice_served"]
    assert world.count(DecisionEvent) == 1


@pytest.mark.parametrize("sequence", [
    ["granted", "withdrawn", "granted"],
    ["granted", "withdrawn", "granted", "withdrawn"],
    ["denied", "granted", "denied", "granted", "withdrawn", "denied"],
    ["granted"] * 3 + ["withdrawn"],
])
def test_decisions_in_sequence_end_in_the_last_state_sent(world: World, lecture: Lecture,
                                                          sequence: list[str]) -> None:
    pid, other = lecture.join("Ada"), lecture.join("Bob")
    for state in sequence:
        assert lecture.decide(pid, {"recording": state})["state"]["recording"] == state
    final = sequence[-1]
    assert world.states(pid)["recording"] == final
    assert world.states(other)["recording"] == "pending"
    people = {p["id"]: p for p in lecture.roster()["participants"]}
    assert people[pid]["state"]["recording"] == final
    assert [e.state for e in world.events(lecture.call_id)
            if e.purpose is not None] == sequence
    summary = world.get_call(lecture.org_id, lecture.call_id)["summary"]
    assert summary["purposes"]["recording"] == {final: 1, "pending": 1}


def test_the_decision_update_carries_the_new_state_without_personal_data(
        world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    update = lecture.decide(pid, {"notes_email": "granted"},
                            fields={"email": CANARY_EMAIL})["update"]
    assert update["kind"] == "decision"
    assert update["participant"]["id"] == pid
    assert update["participant"]["state"]["notes_email"] == "granted"
    assert CANARY_EMAIL not in repr(update)
