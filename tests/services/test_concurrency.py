"""DESIGN §2 Ordering and idempotency under concurrency: use cases running at once on one call
still leave gap-free sequences, an intact chain, and one record per event_id."""

import threading
from collections.abc import Callable
from typing import Any

from tests.services.support import Lecture, World
from widget_server.domain.errors import CallEnded
from widget_server.domain.models import DecisionEvent, Receipt

THREADS = 6


def run_together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Start every job at the same moment; re-raise the first failure."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def worker(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(10)
            results[i] = job()
        except BaseException as err:  # reported to the test below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a use case hung"
    if errors:
        raise errors[0]
    return results


def test_concurrent_decisions_and_joins_keep_both_sequences_gap_free(
        world: World, lecture: Lecture) -> None:
    people = [lecture.join(f"Person {i}") for i in range(THREADS)]
    plan = ["granted", "withdrawn", "granted", "denied", "granted", "withdrawn", "granted"]

    def decide_all(pid: str) -> Callable[[], list[int]]:
        return lambda: [lecture.decide(pid, {"recording": s})["receipt"]["seq"] for s in plan]

    def join_some(n: int) -> Callable[[], list[str]]:
        return lambda: [lecture.join(f"Late {n}.{i}") for i in range(3)]

    results = run_together([decide_all(p) for p in people] + [join_some(0), join_some(1)])

    events = world.events(lecture.call_id)
    joins = THREADS + 6  # each wrote its notice_served event
    assert sorted(e.seq for e in events) == list(range(1, THREADS * len(plan) + joins + 1))
    for pid, seqs in zip(people, results[:THREADS], strict=True):
        assert seqs == sorted(seqs)  # one participant's decisions in the order sent
        assert [e.state for e in events if e.participant_id == pid and e.purpose] == plan
        assert world.states(pid)["recording"] == plan[-1]
    snapshot = lecture.roster()
    expected_updates = THREADS + THREADS * len(plan) + 6
    assert snapshot["seq"] == expected_updates
    assert [u["seq"] for u in world.updates_since(lecture.call_id, 0)["updates"]] == list(
        range(1, expected_updates + 1))
    assert snapshot["summary"]["present"] == THREADS + 6
    assert snapshot["summary"]["purposes"]["recording"] == {"granted": THREADS, "pending": 6}
    assert len(snapshot["participants"]) == THREADS + 6
    assert {p["label"] for p in snapshot["participants"]} == (
        {f"Person {i}" for i in range(THREADS)} | {f"Late {n}.{i}" for n in (0, 1) for i in range(3)})
    assert world.verify().ok


SAME_EVENT = "00000000-0000-4000-8000-00000000000e"


def test_concurrent_retries_of_one_event_record_it_once(world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    results = run_together([
        lambda: lecture.decide(pid, {"recording": "granted"}, event_id=SAME_EVENT)
        for _ in range(THREADS)])
    assert len({r["receipt"]["id"] for r in results}) == 1
    assert sum(r["update"] is not None for r in results) == 1  # one host update, not six
    # the join's notice_served event and the one decision
    assert [e.state for e in world.events(lecture.call_id)] == ["notice_served", "granted"]
    assert world.count(DecisionEvent) == 2 and world.count(Receipt) == 1
    assert lecture.roster()["seq"] == 2


def test_concurrent_leaves_and_joins_keep_the_gate_counters_true(
        world: World, lecture: Lecture) -> None:
    joined = [world.join(lecture.call_id, {"display_name": f"P{i}"}) for i in range(THREADS)]
    ids = [j["participant"]["id"] for j in joined]
    for pid in ids[:3]:
        lecture.decide(pid, {"recording": "granted"})

    def churn(i: int) -> Callable[[], None]:
        def run() -> None:
            for _ in range(3):
                lecture.leave(ids[i])
                world.join(lecture.call_id, None, resume=joined[i]["participant"]["resume"])
            lecture.leave(ids[i])
        return run

    run_together([churn(i) for i in range(THREADS)])
    gate = lecture.gate()
    assert gate == {"recording_allowed": False, "blocking": 0, "blocking_participants": [],
                    "seq": gate["seq"]}
    assert lecture.roster()["summary"]["present"] == 0
    ada = world.join(lecture.call_id, None, resume=joined[0]["participant"]["resume"])
    assert ada["update"]["gate"] == {"recording_allowed": True, "blocking": 0}
    bob = world.join(lecture.call_id, None, resume=joined[5]["participant"]["resume"])
    assert bob["update"]["gate"] == {"recording_allowed": False, "blocking": 1}


def test_ending_a_call_while_people_join_leaves_nobody_inside(world: World,
                                                              lecture: Lecture) -> None:
    def joiner(n: int) -> Callable[[], list[Any]]:
        def run() -> list[Any]:
            outcomes: list[Any] = []
            for i in range(4):
                try:
                    outcomes.append(world.join(lecture.call_id,
                                               {"display_name": f"J{n}.{i}"})["update"]["seq"])
                except CallEnded:
                    outcomes.append("ended")
            return outcomes
        return run

    results = run_together([joiner(n) for n in range(THREADS - 1)] + [lecture.end])
    end_seq = results[-1]["update"]["seq"]
    joined = [seq for outcomes in results[:-1] for seq in outcomes if seq != "ended"]
    assert all(seq < end_seq for seq in joined)  # nobody got in after the end
    for outcomes in results[:-1]:  # once ended, a joiner stays out
        assert outcomes == sorted(outcomes, key=lambda o: o == "ended")
    snapshot = lecture.roster()
    assert snapshot["seq"] == end_seq == len(joined) + 1
    assert snapshot["summary"]["present"] == 0
    assert not any(p["present"] for p in snapshot["participants"])
    assert len(snapshot["participants"]) == len(joined)
    assert lecture.gate() == {"recording_allowed": False, "blocking": 0,
                             "blocking_participants": [], "seq": end_seq}
