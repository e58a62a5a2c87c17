"""Changing the notice of a running call (issue 11, item 4), at the service level."""

import copy
from typing import Any

import pytest

from tests.conftest import lecture_notice
from tests.services.support import CANARY_EMAIL, CANARY_NAME, Lecture, World
from widget_server.domain.errors import CallEnded, DomainError, StaleNotice, ValidationFailed
from widget_server.services import calls


def change(world: World, lecture: Lecture, version: int, notice_id: str | None = None
           ) -> dict[str, Any]:
    with world.db.session() as s:
        call, applied = calls.change_notice(s, lecture.org_id, lecture.call_id, version,
                                            notice_id)
    [update] = applied.updates[lecture.call_id]
    [told] = applied.notice_changes
    return {"call": call, "update": update, "told": told}


def second_version() -> dict[str, Any]:
    """recording changed (longer retention), notes_email dropped, transcript new and gating;
    attendance and service unchanged."""
    content = lecture_notice()
    purposes = {p["key"]: p for p in content["purposes"]}
    purposes["recording"]["retention_days"] = 60
    del purposes["notes_email"]
    purposes["transcript"] = {
        "key": "transcript", "lawful_basis": "consent", "gates_recording": True, "data": [],
        "retention_days": 30,
        "text": {"en": {"title": "Transcribe this session", "description": "Text of it."},
                 "de": {"title": "Transkript", "description": "Als Text."}}}
    content["purposes"] = list(purposes.values())
    return content


def test_a_changed_notice_keeps_unchanged_purposes_and_asks_the_rest_again(
        world: World, lecture: Lecture) -> None:
    ada = lecture.join(CANARY_NAME)
    lecture.decide(ada, {"recording": "granted", "notes_email": "granted"},
                   fields={"email": CANARY_EMAIL})
    bob = lecture.join("Bob")
    lecture.decide(bob, {"attendance": "objected", "recording": "granted"})
    assert lecture.gate()["recording_allowed"] is True
    seq_before = len(world.events(lecture.call_id))
    v2 = world.publish_version(lecture.org_id, lecture.notice["id"], second_version())

    changed = change(world, lecture, 2)

    told = changed["told"]
    assert told["asked_again"] == ["recording", "transcript"]
    assert told["dropped"] == ["notes_email"]
    assert told["states"] == {"recording": "pending", "transcript": "pending"}
    assert told["notice"] == {"id": v2["id"], "version": 2, "content_hash": v2["content_hash"]}
    assert changed["call"]["notice"]["version"] == 2
    assert world.states(ada) == {"recording": "pending", "transcript": "pending",
                                 "attendance": "not_objected", "service": "informed"}
    assert world.states(bob)["attendance"] == "objected"  # unchanged purpose, state kept
    # The email was held only for the dropped purpose: erased at once. The name stays
    # (attendance, unchanged, still needs it).
    person = world.participant(ada)
    assert person.email is None and person.display_name == CANARY_NAME
    # The gate at once: the new gating purposes are pending for both.
    gate = lecture.gate()
    assert gate["recording_allowed"] is False and set(gate["blocking_participants"]) == {ada, bob}
    update = changed["update"]
    assert update["kind"] == "notice_changed" and update["gate"]["blocking"] == 2
    assert update["notice"]["version"] == 2 and update["notice"]["asked_again"] == [
        "recording", "transcript"]
    assert [c["key"] for c in update["notice"]["purposes"]] == [
        "recording", "attendance", "service", "transcript"]
    summary = update["summary"]["purposes"]
    assert "notes_email" not in summary and summary["recording"] == {"pending": 2}
    assert summary["transcript"] == {"pending": 2}
    assert lecture.roster()["call"]["purposes"] == update["notice"]["purposes"]

    # The ledger records the restart of each asked-again purpose under the new version.
    events = world.events(lecture.call_id)[seq_before:]
    assert {(e.participant_id, e.purpose, e.state, e.channel, e.notice_version)
            for e in events} == {(p, k, "pending", "server", 2)
                                 for p in (ada, bob) for k in ("recording", "transcript")}
    assert all(e.notice_hash == v2["content_hash"] for e in events)
    # Later decisions carry the new version; the whole chain verifies.
    answer = lecture.decide(ada, {"transcript": "granted", "recording": "granted"},
                            seen={"notice_hash": v2["content_hash"]})
    assert answer["state"]["transcript"] == "granted"
    assert world.events(lecture.call_id)[-1].notice_version == 2
    assert world.verify().ok


def test_joins_and_decisions_must_have_seen_the_new_version(world: World, lecture: Lecture
                                                          ) -> None:
    ada = lecture.join("Ada")
    old_hash = lecture.notice["content_hash"]
    v2 = world.publish_version(lecture.org_id, lecture.notice["id"], second_version())
    change(world, lecture, 2)
    with pytest.raises(StaleNotice):
        lecture.join("Late", seen={"notice_hash": old_hash})
    with pytest.raises(StaleNotice):
        lecture.decide(ada, {"recording": "granted"}, seen={"notice_hash": old_hash})
    late = lecture.join("Late", seen={"notice_hash": v2["content_hash"]})
    assert world.states(late)["transcript"] == "pending"
    assert lecture.decide(ada, {"recording": "granted"})["state"]["recording"] == "granted"


def test_a_new_version_with_the_same_purposes_keeps_every_state(world: World,
                                                                lecture: Lecture) -> None:
    ada = lecture.join("Ada")
    lecture.decide(ada, {"recording": "granted"})
    content = lecture_notice()
    content["controller"]["name"] = "Example University (renamed)"
    world.publish_version(lecture.org_id, lecture.notice["id"], content)
    before = len(world.events(lecture.call_id))
    told = change(world, lecture, 2)["told"]
    assert told["asked_again"] == [] and told["dropped"] == []
    assert world.states(ada)["recording"] == "granted"
    assert len(world.events(lecture.call_id)) == before  # nothing restarted, nothing recorded
    assert lecture.gate()["recording_allowed"] is True


def test_a_changed_legitimate_interest_comes_back_not_objected_and_text_counts(
        world: World, lecture: Lecture) -> None:
    bob = lecture.join("Bob")
    lecture.decide(bob, {"attendance": "objected"})
    content = lecture_notice()
    content["purposes"][2]["text"]["en"]["description"] = "Who attended, kept a year."
    world.publish_version(lecture.org_id, lecture.notice["id"], content)
    told = change(world, lecture, 2)["told"]
    assert told["asked_again"] == ["attendance"]
    assert told["states"] == {"attendance": "not_objected"}
    assert world.states(bob)["attendance"] == "not_objected"


def refused(world: World, lecture: Lecture, version: int, notice_id: str | None = None
            ) -> DomainError:
    before = world.footprint()
    with pytest.raises(DomainError) as caught:
        change(world, lecture, version, notice_id)
    after = world.footprint()
    # Nothing of the refused change is stored (the call row is written back unchanged).
    assert after == before
    return caught.value


def test_refusals_name_why_and_store_nothing(world: World, lecture: Lecture) -> None:
    lecture.join("Ada")
    world.publish_version(lecture.org_id, lecture.notice["id"], second_version())
    world.publish_version(lecture.org_id, lecture.notice["id"], lecture_notice())
    same = refused(world, lecture, 1)
    assert isinstance(same, ValidationFailed) and "version" in same.fields
    assert "later" in same.message
    unknown = refused(world, lecture, 9)
    assert isinstance(unknown, ValidationFailed) and "version" in unknown.fields
    assert "no version 9" in unknown.message
    other = world.publish(lecture.org_id, copy.deepcopy(lecture_notice()))
    foreign = refused(world, lecture, 2, other["id"])
    assert isinstance(foreign, ValidationFailed) and "notice_id" in foreign.fields
    change(world, lecture, 3)
    lower = refused(world, lecture, 2)
    assert isinstance(lower, ValidationFailed) and "Must be later than 3" in str(lower.fields)
    lecture.end()
    ended = refused(world, lecture, 4)
    assert isinstance(ended, CallEnded)


def test_another_organisations_call_is_not_found(world: World, lecture: Lecture) -> None:
    world.publish_version(lecture.org_id, lecture.notice["id"], second_version())
    other_org, _ = world.organisation("Other")
    with world.db.session() as s, pytest.raises(DomainError) as caught:
        calls.change_notice(s, other_org, lecture.call_id, 2)
    assert caught.value.code == "not_found"


def test_receipts_name_the_notice_version_their_decision_was_recorded_under(
        world: World, lecture: Lecture) -> None:
    from tests.services.test_receipts import jose_verify
    from widget_server.services import receipts

    ada = lecture.join("Ada")
    before = lecture.decide(ada, {"recording": "granted"})["receipt"]["id"]
    v2 = world.publish_version(lecture.org_id, lecture.notice["id"], second_version())
    change(world, lecture, 2)
    after = lecture.decide(ada, {"transcript": "granted"})["receipt"]["id"]
    with world.db.read_session() as s:
        old, new = (jose_verify(receipts.signed_receipt(s, world.ring, ada, rid, "https://x"),
                                world.ring.jwks()) for rid in (before, after))
    assert old["notice"]["version"] == 1 and old["notice"]["content_hash"] == (
        lecture.notice["content_hash"])
    assert [p["key"] for p in old["purposes"]] == [
        "recording", "notes_email", "attendance", "service"]
    assert new["notice"]["version"] == 2 and new["notice"]["content_hash"] == v2["content_hash"]
    assert {p["key"]: p["state"] for p in new["purposes"]} == {
        "recording": "pending", "attendance": "not_objected", "service": "informed",
        "transcript": "granted"}


def test_counts_and_stored_states_agree_after_a_change_in_a_busy_call(world: World,
                                                                     lecture: Lecture) -> None:
    from collections import Counter

    people = [lecture.join(f"P{i}") for i in range(40)]
    for i, pid in enumerate(people):
        if i % 2:
            lecture.decide(pid, {"recording": "granted"})
        if i % 3 == 0:
            lecture.decide(pid, {"attendance": "objected"})
        if i % 5 == 0:
            lecture.decide(pid, {"notes_email": "granted"}, fields={"email": f"p{i}@x.org"})
    for pid in people[:10]:
        lecture.leave(pid)
    world.publish_version(lecture.org_id, lecture.notice["id"], second_version())
    summary = change(world, lecture, 2)["update"]["summary"]
    stored: Counter[tuple[str, str]] = Counter()
    for pid in people:
        states = world.states(pid)
        assert set(states) == {"recording", "attendance", "service", "transcript"}
        stored.update(states.items())
        assert world.participant(pid).email is None
    assert summary["purposes"] == {
        key: {state: n for (k, state), n in sorted(stored.items()) if k == key}
        for key in sorted({k for k, _ in stored})}
    assert summary["purposes"]["attendance"] == {"objected": 14, "not_objected": 26}
    assert summary["present"] == 30
    assert world.get_call(lecture.org_id, lecture.call_id)["summary"] == summary
    gate = lecture.gate()
    assert gate["recording_allowed"] is False and gate["blocking"] == len(gate["blocking_participants"]) == 30
    assert world.verify().ok


def _retention(p: dict[str, Any]) -> None:
    p["retention_days"] += 1


def _data(p: dict[str, Any]) -> None:
    p["data"] = [*p["data"], "email"]


def _gate(p: dict[str, Any]) -> None:
    p["gates_recording"] = not p.get("gates_recording", False)


def _title(p: dict[str, Any]) -> None:
    p["text"]["en"]["title"] += " (updated)"


def _description(p: dict[str, Any]) -> None:
    p["text"]["de"]["description"] += " Neu."


def _basis(p: dict[str, Any]) -> None:
    p["lawful_basis"] = "consent"
    p.pop("legitimate_interest", None)


@pytest.mark.parametrize(("key", "edit", "restarts_at"), [
    ("recording", _retention, "pending"),
    ("recording", _data, "pending"),
    ("recording", _gate, "pending"),
    ("recording", _title, "pending"),
    ("notes_email", _description, "pending"),
    ("attendance", _retention, "not_objected"),
    ("attendance", _title, "not_objected"),
    ("attendance", _basis, "pending"),
])
def test_each_kind_of_change_asks_again_about_that_purpose_only(
        world: World, lecture: Lecture, key: str, edit: Any, restarts_at: str) -> None:
    ada = lecture.join(CANARY_NAME)
    lecture.decide(ada, {"recording": "granted", "notes_email": "denied",
                         "attendance": "objected"})
    before = world.states(ada)
    content = lecture_notice()
    edit(next(p for p in content["purposes"] if p["key"] == key))
    world.publish_version(lecture.org_id, lecture.notice["id"], content)

    told = change(world, lecture, 2)["told"]

    assert told["asked_again"] == [key] and told["dropped"] == []
    after = world.states(ada)
    assert after[key] == restarts_at
    assert {k: v for k, v in after.items() if k != key} == {
        k: v for k, v in before.items() if k != key}
    assert world.verify().ok
