"""The statistics as published (services/statistics.py), against the exact LP attacker of
tests/domain: random days × purposes of one notice, with every relation a reader knows —
states add up to the purpose's total, days to the range, every purpose's total equals the
participants (one notice asks everyone about everything). No suppressed count is determined."""

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.test_statistics import _relations
from tests.domain.lp_attacker import disclosed
from widget_server.services import statistics
from widget_server.services.statistics import Counts

PURPOSES = {"recording": ("pending", "granted", "denied", "withdrawn"),
            "attendance": ("not_objected", "objected")}


@st.composite
def counts(draw: Any) -> Counts:
    days = [f"2026-03-0{n}" for n in range(1, draw(st.integers(1, 3)) + 1)]
    participants = {day: draw(st.integers(1, 16)) for day in days}
    cells: dict[tuple[str, str, str], int] = {}
    for day, n in participants.items():
        for purpose, states in PURPOSES.items():
            picks = draw(st.lists(st.sampled_from(states), min_size=n, max_size=n))
            for state in picks:
                cells[(day, purpose, state)] = cells.get((day, purpose, state), 0) + 1
    return Counts(PURPOSES, cells, participants)


def report(data: Counts, hidden: set[Any]) -> dict[str, Any]:
    out = statistics._level(data, hidden, None)
    out["days"] = [{"day": day, **statistics._level(data, hidden, day)}
                   for day in sorted(data.participants)]
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts())
def test_the_published_figures_disclose_no_suppressed_count(data: Counts) -> None:
    hidden = statistics._protect(data, 5, by_day=True)
    published, truth = report(data, hidden), report(data, set())
    values, relations, suppressed = _relations(published, truth)
    assert {name for name, value in values.items() if value < 5} <= suppressed
    assert disclosed(relations, values, suppressed) == {}
    # The range figures are those group=purpose publishes.
    alone = statistics._protect(data, 5, by_day=False)
    assert statistics._level(data, alone, None) == statistics._level(data, hidden, None)
