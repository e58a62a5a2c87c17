"""The collector policy: frozen every tick, fully collected only when quiet or overdue."""

import gc
import weakref

from widget_server.gc_policy import MAX_DEFERRAL, QUIET, CollectorPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Node:
    me: "Node"


def test_busy_traffic_defers_the_full_collection_quiet_runs_it() -> None:
    clock = Clock()
    policy = CollectorPolicy(clock)
    try:
        for _ in range(int(QUIET) * 3):
            clock.now += 1
            policy.activity()
            policy.tick()
        assert policy.full_collections == 0
        assert gc.get_freeze_count() > 0  # survivors are out of the collector's sight
        clock.now += QUIET
        policy.tick()
        assert policy.full_collections == 1
    finally:
        gc.unfreeze()


def test_a_full_collection_is_never_deferred_past_the_limit() -> None:
    clock = Clock()
    policy = CollectorPolicy(clock)
    try:
        clock.now += MAX_DEFERRAL
        policy.activity()
        policy.tick()
        assert policy.full_collections == 1
    finally:
        gc.unfreeze()


def test_the_full_collection_frees_cycles_that_were_frozen() -> None:
    clock = Clock()
    policy = CollectorPolicy(clock)
    refs: list[weakref.ref[Node]] = []
    try:
        gc.disable()  # so the young generation does not collect the cycles before the freeze
        for _ in range(100):
            node = Node()
            node.me = node
            refs.append(weakref.ref(node))
            del node
        policy.tick()  # frozen: out of the collector's sight
        gc.enable()
        gc.collect()
        assert all(ref() is not None for ref in refs), "frozen cycles were collected"
        clock.now += QUIET * 2
        policy.tick()  # quiet: unfreeze, collect everything, freeze again
        assert policy.full_collections == 1
        assert all(ref() is None for ref in refs), "the full collection left the cycles"
    finally:
        gc.enable()
        gc.unfreeze()


def test_waiting_work_is_not_a_quiet_moment() -> None:
    """Clients waiting on a commit that waits on the database send no live event; a full
    collection then would stall the event loop in the middle of the wait."""
    now = [0.0]
    policy = CollectorPolicy(clock=lambda: now[0])
    for _ in range(30):
        now[0] += 1.0
        policy.tick(busy=True)
    assert policy.full_collections == 0
    now[0] += QUIET
    policy.tick()
    assert policy.full_collections == 1
