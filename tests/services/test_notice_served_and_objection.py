"""CONTRACT §A at the service level: a join says which notice it was shown (stale_notice
otherwise) and is recorded as a notice_served ledger event; objecting to a legitimate-interest
purpose erases the data only objected, withdrawn or denied purposes needed; acks say what is
held; an event_id is a UUID in canonical form."""

import uuid
from typing import Any

import pytest

from tests.conftest import lecture_notice
from tests.services.support import CANARY_EMAIL, CANARY_NAME, Lecture, World
from widget_server.domain.errors import (
    MissingField,
    StaleNotice,
    UnexpectedField,
    ValidationFailed,
)
from widget_server.domain.ledger import NOTICE_SERVED
from widget_server.sockets import payloads

# --- join: the notice shown -----------------------------------------------------------------


@pytest.mark.parametrize("seen_hash", [
    "sha256:" + "0" * 64, "", "sha256:", "not a hash"])
def test_a_join_that_saw_another_notice_is_refused_as_stale_and_stores_nothing(
        world: World, lecture: Lecture, seen_hash: str) -> None:
    before = world.footprint()
    with pytest.raises(StaleNotice) as caught:
        world.join(lecture.call_id, {"display_name": "Ada"}, seen={"notice_hash": seen_hash})
    assert caught.value.code == "stale_notice"
    assert list(caught.value.fields) == ["seen"]
    assert world.footprint() == before


def test_a_join_that_saw_a_later_version_than_its_call_is_stale(world: World,
                                                                lecture: Lecture) -> None:
    """The call stays on the version it was opened with: a newer one is not what it shows."""
    content = lecture_notice()
    content["purposes"][0]["retention_days"] = 60
    v2 = world.publish_version(lecture.org_id, lecture.notice["id"], content)
    assert v2["content_hash"] != lecture.notice["content_hash"]
    before = world.footprint()
    with pytest.raises(StaleNotice):
        world.join(lecture.call_id, {"display_name": "Ada"},
                   seen={"notice_hash": v2["content_hash"]})
    assert world.footprint() == before
    joined = world.join(lecture.call_id, {"display_name": "Ada"},
                        seen={"notice_hash": lecture.notice["content_hash"]})
    assert joined["notice"]["content_hash"] == lecture.notice["content_hash"]
    assert joined["notice"]["version"] == 1


@pytest.mark.parametrize("data", [
    {"fields": {"display_name": "Ada"}},
    {"fields": {"display_name": "Ada"}, "seen": None},
    {"fields": {"display_name": "Ada"}, "seen": "sha256:abc"},
    {"fields": {"display_name": "Ada"}, "seen": {"hash": "sha256:abc"}},
])
def test_a_join_that_does_not_say_what_it_saw_is_refused_naming_seen(
        world: World, lecture: Lecture, data: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        payloads.join_command(lecture.call_id, None, data)
    assert list(caught.value.fields) == ["seen"]


def test_a_resumed_join_must_also_have_seen_the_current_notice(world: World,
                                                               lecture: Lecture) -> None:
    first = world.join(lecture.call_id, {"display_name": "Ada"})
    before = world.footprint()
    with pytest.raises(StaleNotice):
        world.join(lecture.call_id, None, resume=first["participant"]["resume"],
                   seen={"notice_hash": "sha256:" + "1" * 64})
    assert world.footprint() == before


def test_each_join_records_the_notice_served_in_the_ledger(world: World,
                                                           lecture: Lecture) -> None:
    first = world.join(lecture.call_id, {"display_name": CANARY_NAME}, language="de-DE",
                       channel="api")
    pid = first["participant"]["id"]
    [served] = world.events(lecture.call_id)
    assert (served.seq, served.participant_id, served.purpose, served.state) == (
        1, pid, None, NOTICE_SERVED)
    assert (served.notice_version, served.notice_hash) == (1, lecture.notice["content_hash"])
    assert (served.language, served.channel) == ("de", "api")
    assert str(uuid.UUID(served.event_id)) == served.event_id  # server-made, a UUID
    assert CANARY_NAME not in repr(world.decisions_page(lecture.call_id))

    # Coming back (a reload, a language switch) is shown the notice again: a new event.
    lecture.leave(pid)
    world.join(lecture.call_id, None, resume=first["participant"]["resume"], language="en")
    served_again = world.events(lecture.call_id)[-1]
    assert (served_again.seq, served_again.participant_id, served_again.purpose,
            served_again.state, served_again.language) == (2, pid, None, NOTICE_SERVED, "en")
    assert served_again.event_id != served.event_id
    assert served_again.prev_hash == served.hash
    assert world.verify(lecture.call_id).ok


def test_a_refused_join_records_no_notice_served(world: World, lecture: Lecture) -> None:
    with pytest.raises(UnexpectedField):
        world.join(lecture.call_id, {"display_name": "Ada", "email": CANARY_EMAIL})
    with pytest.raises(MissingField):
        world.join(lecture.call_id, {})
    assert world.events(lecture.call_id) == []


# --- acks say what is held ------------------------------------------------------------------


def test_join_and_decide_acks_say_which_fields_are_held_now(world: World,
                                                            lecture: Lecture) -> None:
    joined = world.join(lecture.call_id, {"display_name": "Ada"})
    assert joined["held"] == ["display_name"]
    pid = joined["participant"]["id"]
    granted = lecture.decide(pid, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    assert granted["held"] == ["display_name", "email"]
    assert lecture.decide(pid, {"notes_email": "withdrawn"})["held"] == ["display_name"]
    assert lecture.decide(pid, {"attendance": "objected"})["held"] == []


# --- objecting erases -----------------------------------------------------------------------


def test_objecting_to_attendance_erases_the_name_no_granted_purpose_needs(
        world: World, lecture: Lecture) -> None:
    ada = lecture.join(CANARY_NAME)
    bob = lecture.join("Bob Babbage")
    number = {p["id"]: p["label"] for p in lecture.roster()["participants"]}
    assert number[ada] == CANARY_NAME
    objected = lecture.decide(ada, {"attendance": "objected"})
    assert objected["state"]["attendance"] == "objected"
    assert objected["held"] == []
    assert world.participant(ada).display_name is None  # at once, not at retention
    # the host sees a pseudonym, live and in the roster; the other participant is untouched
    assert objected["update"]["participant"]["label"] == "Participant 1"
    assert CANARY_NAME not in repr(objected["update"])
    assert lecture.labels() == {ada: "Participant 1", bob: "Bob Babbage"}
    assert world.participant(bob).display_name == "Bob Babbage"


def test_taking_the_objection_back_needs_the_name_again(world: World, lecture: Lecture) -> None:
    ada = lecture.join(CANARY_NAME)
    lecture.decide(ada, {"attendance": "objected"})
    before = world.footprint()
    for fields in (None, {}, {"display_name": ""}):
        with pytest.raises(MissingField) as caught:
            lecture.decide(ada, {"attendance": "not_objected"}, fields=fields)
        assert list(caught.value.fields) == ["display_name"]
    with pytest.raises(UnexpectedField) as unexpected:
        lecture.decide(ada, {"attendance": "not_objected"},
                       fields={"display_name": "Ada", "email": CANARY_EMAIL})
    assert list(unexpected.value.fields) == ["email"]
    assert world.footprint() == before
    back = lecture.decide(ada, {"attendance": "not_objected"}, fields={"display_name": "Ada L."})
    assert back["held"] == ["display_name"]
    assert world.participant(ada).display_name == "Ada L."
    assert lecture.labels()[ada] == "Ada L."


def test_granting_recording_after_objecting_needs_the_name_again(world: World,
                                                                 lecture: Lecture) -> None:
    ada = lecture.join(CANARY_NAME)
    lecture.decide(ada, {"attendance": "objected"})
    before = world.footprint()
    with pytest.raises(MissingField) as caught:
        lecture.decide(ada, {"recording": "granted"})
    assert list(caught.value.fields) == ["display_name"]
    assert world.footprint() == before
    granted = lecture.decide(ada, {"recording": "granted"}, fields={"display_name": "Ada"})
    assert granted["state"]["attendance"] == "objected"
    assert world.participant(ada).display_name == "Ada"
    # now only the recording consent needs it: withdrawing that erases it again
    lecture.decide(ada, {"recording": "withdrawn"})
    assert world.participant(ada).display_name is None


def test_objecting_keeps_what_a_granted_purpose_still_needs(world: World,
                                                           lecture: Lecture) -> None:
    ada = lecture.join(CANARY_NAME)
    lecture.decide(ada, {"recording": "granted", "notes_email": "granted"},
                   fields={"email": CANARY_EMAIL})
    objected = lecture.decide(ada, {"attendance": "objected"})
    assert objected["held"] == ["display_name", "email"]
    row = world.participant(ada)
    assert (row.display_name, row.email) == (CANARY_NAME, CANARY_EMAIL)
    # taking it back while the name is held asks for nothing, and cannot replace the name
    with pytest.raises(UnexpectedField):
        lecture.decide(ada, {"attendance": "not_objected"}, fields={"display_name": "Other"})
    lecture.decide(ada, {"attendance": "not_objected"})
    assert world.participant(ada).display_name == CANARY_NAME


def test_objecting_and_withdrawing_in_one_event_erase_both(world: World,
                                                           lecture: Lecture) -> None:
    ada = lecture.join(CANARY_NAME)
    lecture.decide(ada, {"recording": "granted", "notes_email": "granted"},
                   fields={"email": CANARY_EMAIL})
    result = lecture.decide(ada, {"attendance": "objected", "recording": "withdrawn",
                                  "notes_email": "withdrawn"})
    assert result["held"] == []
    row = world.participant(ada)
    assert (row.display_name, row.email) == (None, None)


def test_a_resumed_join_cannot_bring_back_a_name_the_objection_erased(
        world: World, lecture: Lecture) -> None:
    """Resuming (a reload, a language switch) must not undo the erasure: no purpose that still
    applies needs the name, so a join that carries it again is refused, naming it, and stores
    nothing (CONTRACT: join fields hold exactly the data needed; anything else is
    unexpected_field)."""
    first = world.join(lecture.call_id, {"display_name": CANARY_NAME})
    pid, resume = first["participant"]["id"], first["participant"]["resume"]
    lecture.decide(pid, {"attendance": "objected"})
    lecture.leave(pid)
    before = world.footprint()
    with pytest.raises(UnexpectedField) as caught:
        world.join(lecture.call_id, {"display_name": CANARY_NAME}, resume=resume)
    assert list(caught.value.fields) == ["display_name"]
    assert world.footprint() == before
    again = world.join(lecture.call_id, None, resume=resume)
    assert again["participant"]["id"] == pid and again["held"] == []
    assert world.participant(pid).display_name is None


# --- event ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("event_id", [
    "00000000-0000-4000-8000-000000000001\n", " 00000000-0000-4000-8000-000000000001",
    "00000000000040008000000000000001", "urn:uuid:00000000-0000-4000-8000-000000000001"])
def test_an_event_id_in_any_other_spelling_of_a_uuid_is_refused(
        world: World, lecture: Lecture, event_id: str) -> None:
    """Canonical text form only: nothing else (not even a trailing newline) reaches the ledger."""
    pid = lecture.join()
    before = world.footprint()
    with pytest.raises(ValidationFailed) as caught:
        lecture.decide(pid, {"recording": "granted"}, event_id=event_id)
    assert list(caught.value.fields) == ["event_id"]
    assert world.footprint() == before


# --- who holds recording up, and since when -------------------------------------------------


def test_roster_and_updates_say_who_blocks_recording_and_since_when(
        world: World, lecture: Lecture) -> None:
    joined = world.join(lecture.call_id, {"display_name": "Ada"})
    ada = joined["participant"]["id"]
    on_join = joined["update"]["participant"]
    assert on_join["blocking"] is True and on_join["blocking_since"] is not None
    [entry] = lecture.roster()["participants"]
    assert (entry["blocking"], entry["blocking_since"]) == (True, on_join["blocking_since"])
    # still blocking after another decision that does not let recording run: same moment
    still = lecture.decide(ada, {"notes_email": "denied"})["update"]["participant"]
    assert (still["blocking"], still["blocking_since"]) == (True, on_join["blocking_since"])
    granted = lecture.decide(ada, {"recording": "granted"})["update"]["participant"]
    assert (granted["blocking"], granted["blocking_since"]) == (False, None)
    withdrawn = lecture.decide(ada, {"recording": "withdrawn"})["update"]["participant"]
    assert withdrawn["blocking"] is True
    assert withdrawn["blocking_since"] > on_join["blocking_since"]  # a new episode
    left = lecture.leave(ada)
    assert left is not None
    assert (left["participant"]["blocking"], left["participant"]["blocking_since"]) == (
        False, None)  # not present: holds nothing up
    assert lecture.gate() == {"recording_allowed": False, "blocking": 0,
                              "blocking_participants": [], "seq": left["seq"]}
