"""DESIGN §2 Decision ledger: append-only events, gap-free per call, hash-chained, verifiable."""

import hashlib
import json
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.conftest import lecture_notice
from tests.services.support import CANARY_EMAIL, CANARY_NAME, Lecture, World
from widget_server.domain.ledger import GENESIS, chain_hash, ledger_fields
from widget_server.domain.models import DecisionEvent

CONTRACT_ITEM_KEYS = {"seq", "event_id", "participant_id", "purpose", "state", "notice_version",
                      "notice_hash", "language", "channel", "recorded_at", "prev_hash", "hash"}


def interleaved(world: World) -> tuple[Lecture, str, str]:
    """Two calls of one organisation whose decisions alternate: 6 events in A, 5 in B (each
    starting with the join's notice_served). A ends with attendance objected and recording
    denied, so Ada's name is erased: a new grant of recording must bring it again."""
    a = Lecture(world)
    b_call = world.open_call(a.org_id, a.notice["id"], title="Lecture B")["id"]
    pa = a.join("Ada")
    pb = world.join(b_call, {"display_name": "Bob"})["participant"]["id"]
    for state_a, state_b in [("granted", "denied"), ("withdrawn", "granted"),
                             ("granted", "withdrawn")]:
        a.decide(pa, {"recording": state_a})
        world.decide(b_call, pb, {"recording": state_b})
    a.decide(pa, {"attendance": "objected", "recording": "denied"})
    world.decide(b_call, pb, {"attendance": "objected"}, channel="api")
    return a, b_call, pa


def independent_hash(prev: str, item: dict[str, Any], call_id: str) -> str:
    """The chain hash, recomputed here from an exported item without the product's helpers."""
    event = {k: v for k, v in item.items() if k not in ("prev_hash", "hash")}
    event["call_id"] = call_id
    canonical = json.dumps({"prev": prev, "event": event}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def test_each_call_has_its_own_gap_free_sequence(world: World) -> None:
    a, b_call, _ = interleaved(world)
    assert [e.seq for e in world.events(a.call_id)] == [1, 2, 3, 4, 5, 6]
    assert [e.seq for e in world.events(b_call)] == [1, 2, 3, 4, 5]


def test_each_event_chains_to_the_previous_one(world: World) -> None:
    a, b_call, _ = interleaved(world)
    for call_id in (a.call_id, b_call):
        items = world.decisions_page(call_id)["items"]
        prev = GENESIS
        for item in items:
            assert item["prev_hash"] == prev
            assert item["hash"] == independent_hash(prev, item, call_id)
            prev = item["hash"]
        assert len({i["hash"] for i in items}) == len(items)


def test_each_event_records_the_notice_version_hash_language_and_channel(world: World) -> None:
    a, b_call, pa = interleaved(world)
    content = lecture_notice()
    content["purposes"][0]["retention_days"] = 60
    v2 = world.publish_version(a.org_id, a.notice["id"], content)
    a.decide(pa, {"recording": "granted"},  # the call stays on version 1
             fields={"display_name": "Ada"})
    c_call = world.open_call(a.org_id, a.notice["id"], title="Lecture C")["id"]
    pc = world.join(c_call, {"display_name": "Cy"}, language="de")["participant"]["id"]
    world.decide(c_call, pc, {"recording": "granted"})
    for item in world.decisions_page(a.call_id)["items"]:
        assert (item["notice_version"], item["notice_hash"]) == (1, a.notice["content_hash"])
        assert (item["language"], item["channel"]) == ("en", "widget")
    c_items = world.decisions_page(c_call)["items"]
    assert [(i["purpose"], i["state"]) for i in c_items] == [
        (None, "notice_served"), ("recording", "granted")]
    for c_item in c_items:
        assert (c_item["notice_version"], c_item["notice_hash"]) == (2, v2["content_hash"])
        assert c_item["language"] == "de"
    assert world.decisions_page(b_call)["items"][-1]["channel"] == "api"


def test_ledger_items_hold_the_contracts_fields_and_no_personal_data(world: World) -> None:
    call = Lecture(world)
    pid = call.join(CANARY_NAME)
    call.decide(pid, {"notes_email": "granted", "recording": "granted"},
                fields={"email": CANARY_EMAIL})
    items = world.decisions_page(call.call_id)["items"]
    assert [set(i) for i in items] == [CONTRACT_ITEM_KEYS] * 3
    assert {i["participant_id"] for i in items} == {pid}
    dumped = json.dumps(items, default=str)
    assert CANARY_NAME not in dumped and CANARY_EMAIL not in dumped


def test_an_intact_ledger_verifies(world: World) -> None:
    _, b_call, _ = interleaved(world)
    verdict = world.verify()
    assert (verdict.ok, verdict.calls, verdict.events) == (True, 2, 11)
    assert world.verify(b_call).ok and world.verify(b_call).events == 5


def test_an_empty_ledger_verifies(world: World, lecture: Lecture) -> None:
    lecture.join()
    assert world.verify().ok


def _edit_state(world: World, call_id: str) -> int:
    world.sql("UPDATE decision_event SET state = CASE WHEN state = 'granted' THEN 'denied' "
              "ELSE 'granted' END WHERE call_id = :c AND seq = 3", c=call_id)
    return 3


def _edit_and_rehash(world: World, call_id: str) -> int:
    # A forger who also recomputes the edited event's hash is caught by the next event.
    world.sql("UPDATE decision_event SET participant_id = 'p_someone_else' "
              "WHERE call_id = :c AND seq = 2", c=call_id)
    with world.db.session() as s:
        event = s.scalars(select(DecisionEvent).where(
            DecisionEvent.call_id == call_id, DecisionEvent.seq == 2)).one()
        event.hash = chain_hash(event.prev_hash, ledger_fields(event))
        s.commit()
    return 3


def _delete_middle(world: World, call_id: str) -> int:
    world.sql("DELETE FROM decision_event WHERE call_id = :c AND seq = 3", c=call_id)
    return 3


def _delete_last(world: World, call_id: str) -> int:
    world.sql("DELETE FROM decision_event WHERE call_id = :c AND seq = 6", c=call_id)
    return 6


def _swap(world: World, call_id: str) -> int:
    # Reordering: rows 2 and 4 trade places (through a free seq, for the unique constraint).
    for old, new in ((2, -1), (4, 2), (-1, 4)):
        world.sql("UPDATE decision_event SET seq = :new WHERE call_id = :c AND seq = :old",
                  c=call_id, old=old, new=new)
    return 2


def _edit_time(world: World, call_id: str) -> int:
    world.sql("UPDATE decision_event SET recorded_at = :t WHERE call_id = :c AND seq = 4",
              c=call_id, t="2001-01-01 00:00:00")
    return 4


@pytest.mark.parametrize("tamper", [_edit_state, _edit_and_rehash, _delete_middle,
                                    _delete_last, _swap, _edit_time],
                         ids=["update-state", "update-and-rehash", "delete-middle",
                              "delete-last", "swap-seq", "update-time"])
def test_tampering_is_detected_naming_the_call_and_the_first_bad_seq(
        world: World, tamper: Any) -> None:
    a, b_call, _ = interleaved(world)
    bad_seq = tamper(world, a.call_id)
    for verdict in (world.verify(), world.verify(a.call_id)):
        assert not verdict.ok
        assert verdict.call_id == a.call_id
        if tamper is _delete_middle:
            # the gap is named: the missing seq, or the first event after it
            assert verdict.seq in (bad_seq, bad_seq + 1)
            assert f"seq {bad_seq}" in (verdict.problem or "")
        else:
            assert verdict.seq == bad_seq
        assert verdict.problem
    assert world.verify(b_call).ok  # the other call's chain is untouched


def test_tampering_in_a_later_call_is_found_after_intact_ones(world: World) -> None:
    a, b_call, _ = interleaved(world)
    world.sql("UPDATE decision_event SET purpose = 'service' WHERE call_id = :c AND seq = 1",
              c=b_call)
    verdict = world.verify()
    assert (verdict.ok, verdict.call_id, verdict.seq) == (False, b_call, 1)
    assert world.verify(a.call_id).ok


def test_decisions_are_paged_oldest_first_with_a_cursor(world: World) -> None:
    a, _, _ = interleaved(world)
    first = world.decisions_page(a.call_id, after=0, limit=2)
    assert [i["seq"] for i in first["items"]] == [1, 2] and first["next"] == "2"
    second = world.decisions_page(a.call_id, after=int(first["next"]), limit=2)
    assert [i["seq"] for i in second["items"]] == [3, 4] and second["next"] == "4"
    last = world.decisions_page(a.call_id, after=int(second["next"]), limit=3)
    assert [i["seq"] for i in last["items"]] == [5, 6] and last["next"] is None
    exact = world.decisions_page(a.call_id, after=0, limit=6)
    assert len(exact["items"]) == 6 and exact["next"] is None
    assert world.decisions_page(a.call_id, after=6)["items"] == []
    whole = world.decisions_page(a.call_id)
    assert [i["seq"] for i in whole["items"]] == [1, 2, 3, 4, 5, 6] and whole["next"] is None
    assert first["items"] + second["items"] + last["items"] == whole["items"]


def test_the_ledger_is_never_rewritten_by_later_decisions(world: World) -> None:
    a, _, pa = interleaved(world)
    before = [(i["seq"], i["hash"]) for i in world.decisions_page(a.call_id)["items"]]
    a.decide(pa, {"recording": "granted"}, fields={"display_name": "Ada"})
    a.leave(pa)
    a.end()
    after = [(i["seq"], i["hash"]) for i in world.decisions_page(a.call_id)["items"]]
    assert after[:len(before)] == before and len(after) == len(before) + 1


def test_the_raw_table_holds_no_personal_data(world: World) -> None:
    call = Lecture(world)
    pid = call.join(CANARY_NAME)
    call.decide(pid, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    call.leave(pid)
    for table in ("decision_event", "receipt", "call_update", "state_count", "purpose_state"):
        with world.db.read_session() as s:
            rows = s.execute(text(f"SELECT * FROM {table}")).all()
        assert rows, table
        dumped = " ".join(str(v) for row in rows for v in row)
        assert CANARY_NAME not in dumped and CANARY_EMAIL not in dumped, table
