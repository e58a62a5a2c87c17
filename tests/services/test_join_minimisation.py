"""DESIGN §2 Minimisation by construction, at join: the notice decides which fields may come."""

import copy
import logging
from typing import Any

import pytest
from sqlalchemy import inspect

from tests.conftest import lecture_notice
from tests.services.support import (
    CANARY_EMAIL,
    CANARY_NAME,
    Lecture,
    World,
    consent_name_notice,
)
from widget_server.domain.errors import MissingField, UnexpectedField, ValidationFailed
from widget_server.domain.models import CallUpdate, DecisionEvent, Participant, PurposeState


def stored_counts(world: World) -> tuple[int, int, int, int]:
    return (world.count(Participant), world.count(DecisionEvent), world.count(CallUpdate),
            world.count(PurposeState))


def test_joining_needs_the_display_name_attendance_needs(world: World, lecture: Lecture) -> None:
    before = world.footprint()
    for fields in (None, {}, {"display_name": ""}):
        with pytest.raises(MissingField) as caught:
            world.join(lecture.call_id, fields)
        assert caught.value.code == "missing_field"
        assert list(caught.value.fields) == ["display_name"]
    # a value that is not text is refused at the edge (sockets/payloads.py), named
    with pytest.raises(ValidationFailed) as invalid:
        world.join(lecture.call_id, {"display_name": None})
    assert list(invalid.value.fields) == ["display_name"]
    assert world.footprint() == before


def test_email_at_join_is_refused_by_name_and_nothing_is_stored(world: World,
                                                               lecture: Lecture) -> None:
    before_counts = stored_counts(world)
    before = world.footprint()
    with pytest.raises(UnexpectedField) as caught:
        world.join(lecture.call_id, {"display_name": "Ada Lovelace",
                                     "email": "ada@example.org"})
    assert caught.value.code == "unexpected_field"
    assert list(caught.value.fields) == ["email"]
    assert "email" in caught.value.message
    assert stored_counts(world) == before_counts == (0, 0, 0, 0)
    assert world.footprint() == before


@pytest.mark.parametrize("field", ["phone", "age", "ip_address", "user_agent"])
def test_a_field_no_purpose_needs_is_refused_and_nothing_is_stored(
        world: World, lecture: Lecture, field: str) -> None:
    lecture.join("Someone Else")  # the call already has a participant
    before_counts = stored_counts(world)
    before = world.footprint()
    with pytest.raises(UnexpectedField) as caught:
        world.join(lecture.call_id, {"display_name": "Ada Lovelace", field: "42"})
    assert list(caught.value.fields) == [field]
    assert field in caught.value.message
    assert stored_counts(world) == before_counts
    assert world.footprint() == before


def test_a_join_holds_exactly_the_fields_given_and_starts_with_nothing_pre_selected(
        world: World, lecture: Lecture) -> None:
    joined = world.join(lecture.call_id, {"display_name": "  Ada Lovelace  "}, language="en")
    pid = joined["participant"]["id"]
    assert joined["state"] == {"recording": "pending", "notes_email": "pending",
                               "attendance": "not_objected", "service": "informed"}
    assert world.states(pid) == joined["state"]
    row = world.participant(pid)
    assert (row.display_name, row.email, row.phone) == ("Ada Lovelace", None, None)
    # joining is not a decision: its one ledger event records the notice served, no purpose
    assert [(e.purpose, e.state) for e in world.events(lecture.call_id)] == [
        (None, "notice_served")]


@pytest.mark.parametrize("fields", [
    {"display_name": "   "}, {"display_name": "x" * 101}, {"display_name": 7},
    "Ada", ["display_name"]])
def test_invalid_values_are_refused(world: World, lecture: Lecture, fields: Any) -> None:
    with pytest.raises(ValidationFailed):
        world.join(lecture.call_id, fields)
    assert world.count(Participant) == 0


def test_a_notice_asking_a_phone_for_a_non_consent_purpose_needs_it_at_join(
        world: World) -> None:
    content = lecture_notice()
    content["purposes"].append({
        "key": "dial_in", "lawful_basis": "contract", "data": ["phone"], "retention_days": 1,
        "text": {lang: {"title": "Dial-in", "description": "Call you back."}
                 for lang in ("en", "de")}})
    call = Lecture(world, content)
    with pytest.raises(MissingField) as caught:
        call.join("Ada Lovelace")
    assert list(caught.value.fields) == ["phone"]
    with pytest.raises(ValidationFailed) as invalid:
        call.join(fields={"display_name": "Ada", "phone": "call me maybe"})
    assert "phone" in invalid.value.fields
    pid = call.join(fields={"display_name": "Ada", "phone": "+44 20 7946 0000"})
    assert world.participant(pid).phone == "+44 20 7946 0000"


def test_when_only_consent_purposes_need_a_name_none_is_asked_at_join(world: World) -> None:
    call = Lecture(world, consent_name_notice())
    before = world.footprint()
    with pytest.raises(UnexpectedField) as caught:
        call.join("Ada Lovelace")
    assert list(caught.value.fields) == ["display_name"]
    assert world.footprint() == before
    pid = call.join(None)
    assert world.participant(pid).display_name is None


@pytest.mark.parametrize(("wanted", "chosen"), [
    ("de-DE", "de"), ("de", "de"), ("DE-at", "de"), ("en-GB", "en"), ("fr", "en"),
    ("fr-FR", "en"), (None, "en"), ("", "en")])
def test_the_notice_is_shown_in_the_wanted_language_or_the_default(
        world: World, lecture: Lecture, wanted: str | None, chosen: str) -> None:
    joined = world.join(lecture.call_id, {"display_name": "Ada"}, language=wanted)
    notice = joined["notice"]
    assert notice["language"] == chosen
    assert notice["languages"] == ["de", "en"]
    expected = {p["key"]: p["text"][chosen]["title"] for p in lecture_notice()["purposes"]}
    assert {p["key"]: p["title"] for p in notice["purposes"]} == expected
    assert {p["key"]: p["lawful_basis"] for p in notice["purposes"]} == {
        "recording": "consent", "notes_email": "consent",
        "attendance": "legitimate_interests", "service": "contract"}
    assert world.participant(joined["participant"]["id"]).language == chosen


def test_the_language_shown_is_the_language_recorded_with_each_decision(
        world: World, lecture: Lecture) -> None:
    pid = lecture.join(language="de-DE")
    lecture.decide(pid, {"recording": "granted"})
    assert [(e.state, e.language) for e in world.events(lecture.call_id)] == [
        ("notice_served", "de"), ("granted", "de")]


def test_the_resume_secret_brings_back_the_same_participant(world: World,
                                                            lecture: Lecture) -> None:
    first = world.join(lecture.call_id, {"display_name": "Ada Lovelace"})
    pid, resume = first["participant"]["id"], first["participant"]["resume"]
    lecture.decide(pid, {"recording": "granted"})
    lecture.leave(pid)
    # no fields needed on resume: the participant already gave them
    again = world.join(lecture.call_id, None, resume=resume, language="de")
    assert again["participant"] == {"id": pid, "resume": resume}
    assert again["state"]["recording"] == "granted"
    assert world.count(Participant) == 1
    assert world.count(PurposeState) == 4
    row = world.participant(pid)
    assert (row.present, row.language, row.display_name) == (True, "de", "Ada Lovelace")


def test_a_forged_or_foreign_resume_secret_starts_a_new_participant(world: World,
                                                                   lecture: Lecture) -> None:
    first = world.join(lecture.call_id, {"display_name": "Ada Lovelace"})
    pid, resume = first["participant"]["id"], first["participant"]["resume"]
    lecture.decide(pid, {"recording": "granted"})
    forged = f"{pid}.{'A' * 32}"
    # a new participant must give the join fields again
    with pytest.raises(MissingField):
        world.join(lecture.call_id, None, resume=forged)
    other = world.join(lecture.call_id, {"display_name": "Mallory"}, resume=forged)
    assert other["participant"]["id"] != pid
    assert other["state"]["recording"] == "pending"
    assert world.participant(pid).display_name == "Ada Lovelace"

    call_b = world.open_call(lecture.org_id, lecture.notice["id"], title="Other lecture")
    elsewhere = world.join(call_b["id"], {"display_name": "Ada"}, resume=resume)
    assert elsewhere["participant"]["id"] != pid
    for garbage in ("", "no-dot", pid, "." * 300):
        joined = world.join(lecture.call_id, {"display_name": "G"}, resume=garbage)
        assert joined["participant"]["id"] != pid
    assert world.count(Participant) == 7


def test_no_request_metadata_has_a_place_to_be_stored(world: World) -> None:
    """No IP address, user agent or other request metadata with a participant or a decision:
    the columns are an allow-list, so a new one has to be argued for here."""
    columns = {table: {c["name"] for c in inspect(world.db.engine).get_columns(table)}
               for table in ("participant", "decision_event", "receipt", "call_update")}
    assert columns == {
        "participant": {"id", "call_id", "number", "display_name", "email", "phone",
                        "language", "channel", "resume_hash", "connections", "present",
                        "gate_ok", "blocking_since", "joined_at", "updated_at",
                        # the meeting platform's id, given by the meeting page (CONTRACT §D)
                        "ref",
                        # the serving process holding the connection (its lease; no client data)
                        "process"},
        "decision_event": {"id", "call_id", "seq", "event_id", "participant_id", "purpose",
                           "state", "notice_version", "notice_hash", "language", "channel",
                           "recorded_at", "prev_hash", "hash"},
        "receipt": {"id", "participant_id", "event_id", "seq", "hash", "state"},
        "call_update": {"call_id", "seq", "kind", "participant_id", "snapshot", "created_at"},
    }


def test_join_input_is_not_kept_by_reference(world: World, lecture: Lecture) -> None:
    fields = {"display_name": "Ada Lovelace"}
    original = copy.deepcopy(fields)
    pid = world.join(lecture.call_id, fields)["participant"]["id"]
    fields["display_name"] = "Changed Later"
    assert fields != original
    assert world.participant(pid).display_name == "Ada Lovelace"


def test_no_personal_data_reaches_the_logs(world: World, lecture: Lecture,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    joined = world.join(lecture.call_id, {"display_name": CANARY_NAME})
    pid = joined["participant"]["id"]
    lecture.decide(pid, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    with pytest.raises(UnexpectedField):
        world.join(lecture.call_id, {"display_name": CANARY_NAME, "phone": "+44 20 7946 0000"})
    lecture.decide(pid, {"notes_email": "withdrawn"})
    lecture.leave(pid)
    lecture.end()
    logged = caplog.text + " ".join(repr(r.args) for r in caplog.records)
    for secret in (CANARY_NAME, CANARY_EMAIL, "7946", joined["participant"]["resume"],
                   lecture.widget_token, lecture.host_token, lecture.api_key):
        assert secret not in logged
