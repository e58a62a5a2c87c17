"""Small-count suppression (widget_server/domain/suppression.py) against an attacker.

For random tables of counts with their totals, an attacker solving every linear relation of
the published table (rows, columns, grand total, and so every difference between published
totals) together with non-negativity — exact linear programming, tests/domain/lp_attacker.py
— must learn no suppressed value exactly; and no count of at least the minimum may be hidden
that protection does not need (publishing any one of them again would disclose a value).
"""

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.domain.lp_attacker import disclosed, solved
from widget_server.domain.suppression import protect, table_grid

MIN = 5


def counts(draw: Any, rows: int, columns: int) -> list[list[int]]:
    small = st.integers(0, MIN - 1)
    large = st.integers(MIN, 40)
    return [[draw(st.one_of(small, large, st.just(0))) for _ in range(columns)]
            for _ in range(rows)]


@st.composite
def tables(draw: Any) -> list[list[int]]:
    rows = draw(st.integers(1, 4))
    columns = draw(st.integers(1, 4))
    return counts(draw, rows, columns)


def published(table: list[list[int]]) -> tuple[dict[str, int], list[tuple[list[str], list[int]]],
                                               set[str]]:
    """The table as named values, the attacker's relations, and what protect() suppresses."""
    rows, columns = len(table), len(table[0])
    cells = {(r, c): table[r][c] for r in range(rows) for c in range(columns)}
    row_totals = {r: sum(table[r]) for r in range(rows)}
    several = rows > 1
    column_totals = ({c: sum(table[r][c] for r in range(rows)) for c in range(columns)}
                     if several else None)
    grand = sum(row_totals.values()) if several else None
    grid = table_grid(cells, row_totals, column_totals, grand, name="t")
    values = {_name(e.key): e.value for e in grid.entries}
    relations = [([f"c{r},{c}" for c in range(columns)] + [f"r{r}"],
                  [1] * columns + [-1]) for r in range(rows)]
    if several:
        relations += [([f"c{r},{c}" for r in range(rows)] + [f"k{c}"], [1] * rows + [-1])
                      for c in range(columns)]
        relations.append(([f"k{c}" for c in range(columns)] + ["g"], [1] * columns + [-1]))
        relations.append(([f"r{r}" for r in range(rows)] + ["g"], [1] * rows + [-1]))
    hidden = {_name(key) for key in protect([grid], MIN)}
    return values, relations, hidden


def _name(key: Any) -> str:
    kind = key[1]
    if kind == "cell":
        return f"c{key[2]},{key[3]}"
    if kind == "row_total":
        return f"r{key[2]}"
    if kind == "column_total":
        return f"k{key[2]}"
    return "g"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_suppressed_count_can_be_recovered(table: list[list[int]]) -> None:
    values, relations, hidden = published(table)
    assert {name for name, value in values.items() if value < MIN} <= hidden
    assert solved(relations, values, hidden) == {}
    assert disclosed(relations, values, hidden) == {}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_every_count_hidden_beyond_the_small_ones_is_needed(table: list[list[int]]) -> None:
    values, relations, hidden = published(table)
    for name in hidden:
        if values[name] >= MIN:
            assert disclosed(relations, values, hidden - {name}), (
                f"{name}={values[name]} is hidden but protects nothing")


def test_nothing_small_nothing_hidden() -> None:
    _, _, hidden = published([[5, 6], [7, 8]])
    assert hidden == set()


def test_one_small_cell_takes_three_others_with_it() -> None:
    """The textbook case: one small cell in a 2×2 table needs a rectangle of four."""
    values, relations, hidden = published([[2, 10], [9, 12]])
    assert solved(relations, values, {"c0,0"}) == {"c0,0": 2}
    # Two hidden in one row: the column totals still give each away.
    assert solved(relations, values, {"c0,0", "c0,1"}) == {"c0,0": 2, "c0,1": 10}
    assert hidden == {"c0,0", "c0,1", "c1,0", "c1,1"}
    assert disclosed(relations, values, hidden) == {}


def test_zero_left_over_is_a_disclosure() -> None:
    """A row whose published cells add up to its total tells that the hidden ones are 0."""
    values, relations, _ = published([[0, 0, 12]])
    # Equations alone leave x + y = 0 open; that counts are never negative closes it.
    assert solved(relations, values, {"c0,0", "c0,1"}) == {}
    assert disclosed(relations, values, {"c0,0", "c0,1"}) == {"c0,0": 0, "c0,1": 0}
    values, relations, hidden = published([[0, 0, 12]])
    assert disclosed(relations, values, hidden) == {}


def test_a_table_of_small_counts_is_hidden_whole() -> None:
    values, _, hidden = published([[1, 2], [0, 1]])
    assert hidden == set(values)
