"""DESIGN §2 Live view and pseudonyms: numbered host updates, resync from the database, labels."""

import pytest

from tests.services.support import Lecture, World, consent_name_notice
from widget_server.domain.errors import DomainError
from widget_server.services import roster


def busy_call(lecture: Lecture) -> list[dict]:
    """Joins, decisions and leaves of three people; returns the updates as they were sent.
    Cy objects to attendance and denies recording: no applying purpose needs Cy's name any
    more, so it is erased then, and every later view of Cy (roster, replay) is a pseudonym."""
    sent = []
    ids = []
    for name in ("Ada", "Bob", "Cy"):
        result = lecture.world.join(lecture.call_id, {"display_name": name})
        ids.append(result["participant"]["id"])
        sent.append(result["update"])
    sent.append(lecture.decide(ids[0], {"recording": "granted"})["update"])
    sent.append(lecture.leave(ids[1]))
    sent.append(lecture.decide(ids[2], {"recording": "denied", "attendance": "objected"})
                ["update"])
    sent.append(lecture.leave(ids[0]))
    return sent


def test_updates_are_numbered_consecutively_across_kinds(lecture: Lecture) -> None:
    sent = busy_call(lecture)
    assert [u["seq"] for u in sent] == [1, 2, 3, 4, 5, 6, 7]
    assert [u["kind"] for u in sent] == ["joined", "joined", "joined", "decision", "left",
                                         "decision", "left"]
    assert lecture.roster()["seq"] == 7
    ended = lecture.end()["update"]
    assert (ended["seq"], ended["kind"]) == (8, "call_ended")


def test_an_idempotent_retry_or_refused_request_does_not_number_an_update(
        world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    event_id = "00000000-0000-4000-8000-000000000001"
    lecture.decide(pid, {"recording": "granted"}, event_id=event_id)
    lecture.decide(pid, {"recording": "granted"}, event_id=event_id)
    with pytest.raises(DomainError):
        lecture.decide(pid, {"recording": "denied"}, event_id="evt-1")  # not a UUID
    with pytest.raises(DomainError):
        lecture.decide(pid, {"service": "granted"})
    with pytest.raises(DomainError):
        world.join(lecture.call_id, {"display_name": "X", "email": "x@example.org"})
    assert lecture.roster()["seq"] == 2
    assert [u["seq"] for u in world.updates_since(lecture.call_id, 0)["updates"]] == [1, 2]


@pytest.mark.parametrize("since", [0, 1, 3, 6])
def test_updates_since_returns_exactly_the_later_ones_in_order(
        world: World, lecture: Lecture, since: int) -> None:
    sent = busy_call(lecture)
    cy = sent[2]["participant"]["id"]
    assert sent[2]["participant"]["label"] == "Cy"  # sent while the name was held
    # Labels are rendered from the name held when an update is read: Cy's is erased now.
    expected = [{**u, "participant": {**u["participant"], "label": "Participant 3"}}
                if u.get("participant", {}).get("id") == cy else u for u in sent]
    replay = world.updates_since(lecture.call_id, since)
    assert "roster" not in replay
    assert replay["updates"] == expected[since:]


def test_a_host_that_is_up_to_date_gets_nothing(world: World, lecture: Lecture) -> None:
    busy_call(lecture)
    assert world.updates_since(lecture.call_id, 7) == {"updates": []}


@pytest.mark.parametrize("since", [-1, 8, 1000])
def test_an_unknown_position_gets_a_fresh_roster(world: World, lecture: Lecture,
                                                 since: int) -> None:
    busy_call(lecture)
    replay = world.updates_since(lecture.call_id, since)
    assert "updates" not in replay
    assert replay["roster"] == lecture.roster()


def test_a_host_too_far_behind_gets_a_fresh_roster(world: World, lecture: Lecture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    busy_call(lecture)
    monkeypatch.setattr(roster, "MAX_REPLAY", 3)
    assert [u["seq"] for u in world.updates_since(lecture.call_id, 4)["updates"]] == [5, 6, 7]
    behind = world.updates_since(lecture.call_id, 3)
    assert behind == {"roster": lecture.roster()}
    assert behind["roster"]["seq"] == 7


def test_the_roster_is_the_true_state(world: World, lecture: Lecture) -> None:
    busy_call(lecture)
    snapshot = lecture.roster()
    purposes = snapshot["call"].pop("purposes")
    assert snapshot["call"] == {"id": lecture.call_id, "title": "Lecture 1", "status": "open",
                                "notice": {"id": lecture.notice["id"], "version": 1}}
    assert [(p["key"], p["title"], p["gates_recording"]) for p in purposes] == [
        ("recording", "Record this session", True), ("notes_email", "Email me the notes", False),
        ("attendance", "Attendance list", False), ("service", "Running the call", False)]
    people = snapshot["participants"]
    assert [(p["label"], p["present"], p["channel"]) for p in people] == [
        ("Ada", False, "widget"), ("Bob", False, "widget"),
        ("Participant 3", True, "widget")]  # Cy's name was erased by the objection
    assert [p["state"]["recording"] for p in people] == ["granted", "pending", "denied"]
    assert people[2]["state"]["attendance"] == "objected"
    assert snapshot["summary"] == {"present": 1, "purposes": {
        "recording": {"granted": 1, "pending": 1, "denied": 1},
        "notes_email": {"pending": 3},
        "attendance": {"not_objected": 2, "objected": 1},
        "service": {"informed": 3}}}
    assert snapshot["gate"] == {"recording_allowed": False, "blocking": 1}


def test_labels_are_names_only_where_a_purpose_needs_one(world: World) -> None:
    call = Lecture(world, consent_name_notice())
    ada, bob, cy = call.join(None), call.join(None), call.join(None)
    granted = call.decide(ada, {"recording": "granted"}, fields={"display_name": "Ada Lovelace"})
    assert granted["update"]["participant"]["label"] == "Ada Lovelace"
    denied = call.decide(bob, {"recording": "denied"})
    assert denied["update"]["participant"]["label"] == "Participant 2"
    assert call.labels() == {ada: "Ada Lovelace", bob: "Participant 2", cy: "Participant 3"}
    assert world.participant(bob).display_name is None
    # withdrawing erases the name, and the host sees the pseudonym again, also in replays
    call.decide(ada, {"recording": "withdrawn"})
    assert call.labels()[ada] == "Participant 1"
    replayed = world.updates_since(call.call_id, 0)["updates"]
    assert {u["participant"]["label"] for u in replayed if u["participant"]["id"] == ada} == {
        "Participant 1"}


def test_labels_are_display_names_when_a_non_consent_purpose_needs_them(
        lecture: Lecture) -> None:
    ada, bob = lecture.join("Ada Lovelace"), lecture.join("Bob Babbage")
    lecture.decide(bob, {"recording": "denied"})
    assert lecture.labels() == {ada: "Ada Lovelace", bob: "Bob Babbage"}


def test_reset_presence_marks_everyone_away(world: World, lecture: Lecture) -> None:
    ada, bob = lecture.join("Ada"), lecture.join("Bob")
    lecture.decide(ada, {"recording": "granted"})
    lecture.decide(bob, {"recording": "granted"})
    other = Lecture(world)
    cy = other.join("Cy")
    assert lecture.gate()["recording_allowed"]
    seq = lecture.roster()["seq"]

    assert world.reset_presence() == 3

    for call in (lecture, other):
        snapshot = call.roster()
        assert [p["present"] for p in snapshot["participants"]] == [False] * len(
            snapshot["participants"])
        assert snapshot["summary"]["present"] == 0
        assert not call.gate()["recording_allowed"]
    replay = world.updates_since(lecture.call_id, seq)["updates"]
    assert sorted((u["kind"], u["participant"]["id"]) for u in replay) == sorted(
        [("left", ada), ("left", bob)])
    assert [u["seq"] for u in replay] == [seq + 1, seq + 2]
    assert world.states(ada)["recording"] == "granted"  # away, not withdrawn
    assert world.participant(cy).connections == 0
    assert world.reset_presence() == 0
    # a participant who comes back is present again, with one connection
    again = world.join(lecture.call_id, {"display_name": "Dee"})
    assert world.participant(again["participant"]["id"]).connections == 1


def test_every_update_carries_the_true_summary_and_gate_at_its_seq(world: World,
                                                                   lecture: Lecture) -> None:
    """A host applying updates in order holds exactly what the database holds."""
    joined = world.join(lecture.call_id, {"display_name": "Ada"})
    ada, resume = joined["participant"]["id"], joined["participant"]["resume"]
    steps = [
        lambda: joined["update"],
        lambda: world.join(lecture.call_id, {"display_name": "Bob"})["update"],
        lambda: lecture.decide(ada, {"recording": "granted",
                                     "notes_email": "granted"},
                               fields={"email": "ada@example.org"})["update"],
        lambda: lecture.leave(ada),
        lambda: world.join(lecture.call_id, None, resume=resume)["update"],
        lambda: lecture.decide(ada, {"attendance": "objected"})["update"],
        lambda: lecture.end()["update"],
    ]
    for step in steps:
        update = step()
        truth = lecture.roster()
        assert update["seq"] == truth["seq"]
        assert update["summary"] == truth["summary"]
        assert update["gate"] == truth["gate"]
        if "participant" in update:
            person = next(p for p in truth["participants"]
                          if p["id"] == update["participant"]["id"])
            for key in ("label", "present", "state", "channel"):
                assert update["participant"][key] == person[key], key
