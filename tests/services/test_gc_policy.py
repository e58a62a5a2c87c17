"""The collector policy: frozen every tick, fully collected only when quiet or overdue."""

import gc

from widget_server.gc_policy import MAX_DEFERRAL, QUIET, CollectorPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cycle() -> None:
    node: dict = {}
    node["self"] = node


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
    try:
        gc.disable()  # so the young generation does not collect the cycles before the freeze
        for _ in range(1000):
            cycle()
        policy.tick()  # the cycles are frozen: not collectable now
        gc.enable()
        frozen = gc.get_freeze_count()
        clock.now += QUIET * 2
        policy.tick()
        assert policy.full_collections == 1
        assert gc.get_freeze_count() <= frozen - 900  # refrozen, without the 1,000 cycles
    finally:
        gc.enable()
        gc.unfreeze()
