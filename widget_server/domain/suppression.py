"""Small-count suppression of published statistics, with complementary suppression
(CONTRACT §D, Statistics). Pure functions: no database, no clock.

The published numbers form tables whose entries are tied by linear relations an attacker
knows: each row's cells sum to its row total, each column's to its column total, the totals
to the grand total. A count below the minimum is suppressed (primary); then more entries are
suppressed (complementary) until no suppressed value can be worked out exactly from what is
published, even using that counts are never negative.

The model (a "transportation" network): each relation is a node; each entry is an edge
between the two relations it takes part in (a cell: its row and its column; a row total: its
row and the total column; a column total: the total row and its column; the grand total: the
total row and the total column). Relations an attacker does not have (a table of one row
publishes no column sums beyond the cells themselves) are one `FREE` node. With the totals'
signs flipped, every relation says "the edges at this node sum to a known number". The
unknown (suppressed) values can change together only along a cycle of unknown edges whose
changes alternate +t, −t around it, and a change that lowers a count is possible only where
the count is above zero. So a suppressed entry is exactly determined if and only if no such
cycle passes through it: that is `determined()`, a search per suppressed edge.
"""

import heapq
import itertools
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FREE = ("free",)
Key = Hashable
Node = Hashable


@dataclass(frozen=True)
class Entry:
    """One published number: its value, the two relations it belongs to (a row-side and a
    column-side node), and its sign in them (+1 a cell or the grand total, −1 a margin)."""

    key: Key
    value: int
    row: Node
    column: Node
    sign: int = 1

    def can_rise(self) -> bool:
        """Whether the edge's (sign-adjusted) value can go up: a margin only by lowering a
        count, which must then be above zero."""
        return self.sign > 0 or self.value > 0

    def can_fall(self) -> bool:
        return self.sign < 0 or self.value > 0


@dataclass
class Grid:
    """A set of entries tied by the relations their nodes stand for."""

    entries: list[Entry] = field(default_factory=list)

    def add(self, key: Key, value: int, row: Node, column: Node, sign: int = 1) -> None:
        self.entries.append(Entry(key, value, row, column, sign))


def table_grid(cells: Mapping[tuple[Any, Any], int], row_totals: Mapping[Any, int],
               column_totals: Mapping[Any, int] | None = None, grand_total: int | None = None,
               *, name: Key = "table") -> Grid:
    """A table's grid. Keys: ("cell", row, column), ("row_total", row), ("column_total",
    column), ("grand_total",), each prefixed by `name`. Without column totals the columns are
    free: nothing ties one row's cells to another's."""
    grid = Grid()
    with_columns = column_totals is not None
    for (row, column), value in cells.items():
        grid.add((name, "cell", row, column), value, (name, "row", row),
                 (name, "column", column) if with_columns else FREE)
    for row, value in row_totals.items():
        grid.add((name, "row_total", row), value, (name, "row", row),
                 (name, "column", "total") if with_columns else FREE, -1)
    if column_totals is not None:
        for column, value in column_totals.items():
            grid.add((name, "column_total", column), value, (name, "row", "total"),
                     (name, "column", column), -1)
        if grand_total is not None:
            grid.add((name, "grand_total"), grand_total, (name, "row", "total"),
                     (name, "column", "total"))
    return grid


def determined(grid: Grid, suppressed: set[Key]) -> list[Key]:
    """The suppressed entries of the grid an attacker can work out exactly from the published
    ones, the relations and non-negativity (see the module's docstring)."""
    unknown = [entry for entry in grid.entries if entry.key in suppressed]
    arcs: dict[Node, list[tuple[Node, int]]] = {}
    for index, entry in enumerate(unknown):
        if entry.can_rise():
            arcs.setdefault(entry.row, []).append((entry.column, index))
        if entry.can_fall():
            arcs.setdefault(entry.column, []).append((entry.row, index))
    component = _strong_components(arcs)
    # Edges that can move both ways and lie on a cycle of such edges are free at once: that
    # cycle moves them. Only the others need a search of their own.
    both = [(entry.row, entry.column) if entry.can_rise() and entry.can_fall() else None
            for entry in unknown]
    lonely = _bridges(both)
    found = []
    for index, entry in enumerate(unknown):
        rise, fall = entry.can_rise(), entry.can_fall()
        if entry.row == entry.column:
            continue  # in no relation at all (both ends free): nothing can tie it down
        if component.get(entry.row, -1) != component.get(entry.column, -2):
            found.append(entry.key)  # no cycle passes through either of its arcs
        elif rise and fall and index in lonely and not (
                _reaches(arcs, entry.column, entry.row, index)
                or _reaches(arcs, entry.row, entry.column, index)):
            # Its two arcs make a cycle of their own, which moves nothing; no other does.
            found.append(entry.key)
    return found


def _bridges(edges: list[tuple[Node, Node] | None]) -> set[int]:
    """The numbers of the edges (None: left out) that lie on no cycle of the undirected
    multigraph they form (Tarjan's bridges, iterative; parallel edges are no bridges)."""
    adjacent: dict[Node, list[tuple[Node, int]]] = {}
    for number, ends in enumerate(edges):
        if ends is not None:
            adjacent.setdefault(ends[0], []).append((ends[1], number))
            adjacent.setdefault(ends[1], []).append((ends[0], number))
    order: dict[Node, int] = {}
    low: dict[Node, int] = {}
    bridges: set[int] = set()
    counter = itertools.count()
    for root in adjacent:
        if root in order:
            continue
        order[root] = low[root] = next(counter)
        work: list[tuple[Node, int, int]] = [(root, -1, 0)]
        while work:
            node, via, position = work.pop()
            targets = adjacent[node]
            if position < len(targets):
                work.append((node, via, position + 1))
                nxt, number = targets[position]
                if number == via:
                    continue
                if nxt in order:
                    low[node] = min(low[node], order[nxt])
                else:
                    order[nxt] = low[nxt] = next(counter)
                    work.append((nxt, number, 0))
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent]:
                    bridges.add(via)
    return bridges


def _strong_components(arcs: dict[Node, list[tuple[Node, int]]]) -> dict[Node, int]:
    """Tarjan's algorithm, iterative: node → the number of its strongly connected component."""
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    on_stack: set[Node] = set()
    stack: list[Node] = []
    component: dict[Node, int] = {}
    numbers = itertools.count()
    counter = 0
    nodes = set(arcs) | {nxt for targets in arcs.values() for nxt, _ in targets}
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = arcs.get(node, [])
            if position < len(targets):
                work.append((node, position + 1))
                nxt = targets[position][0]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                number = next(numbers)
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = number
                    if member == node:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component


def _reaches(arcs: dict[Node, list[tuple[Node, int]]], start: Node, goal: Node,
             skip: int) -> bool:
    """Whether a path leads from start to goal without the edge numbered `skip`."""
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        for nxt, edge in arcs.get(node, ()):
            if edge == skip or nxt in seen:
                continue
            if nxt == goal:
                return True
            seen.add(nxt)
            stack.append(nxt)
    return False


def _cheapest_cycle(grid: Grid, entry: Entry, suppressed: set[Key], locked: Mapping[Key, bool]
                    ) -> list[Key] | None:
    """The published entries whose suppression puts `entry` on a cycle at the least total
    value (Dijkstra; suppressed edges cost nothing), or None when none can."""
    counter = itertools.count()
    best: list[Key] | None = None
    best_cost = None
    for start, goal, usable in ((entry.column, entry.row, entry.can_rise()),
                                (entry.row, entry.column, entry.can_fall())):
        if not usable:
            continue
        arcs: dict[Node, list[tuple[int, Node, Key | None]]] = {}
        for other in grid.entries:
            if other.key == entry.key:
                continue
            if other.key in suppressed:
                cost, key = 0, None
            elif other.key in locked:
                continue  # published elsewhere already: it must stay as it is
            else:
                cost, key = other.value, other.key
            if other.can_rise():
                arcs.setdefault(other.row, []).append((cost, other.column, key))
            if other.can_fall():
                arcs.setdefault(other.column, []).append((cost, other.row, key))
        done: set[Node] = set()
        came: dict[Node, tuple[Node, Key | None]] = {}
        queue: list[tuple[int, int, Node, Node | None, Key | None]] = [
            (0, next(counter), start, None, None)]
        while queue:
            cost, _, node, previous, key = heapq.heappop(queue)
            if node in done:
                continue
            done.add(node)
            if previous is not None:
                came[node] = (previous, key)
            if node == goal:
                if best_cost is None or cost < best_cost:
                    best, best_cost = _path(came, start, goal), cost
                break
            for step, nxt, via in arcs.get(node, ()):
                if nxt not in done:
                    heapq.heappush(queue, (cost + step, next(counter), nxt, node, via))
    return best


def _path(came: dict[Node, tuple[Node, Key | None]], start: Node, goal: Node) -> list[Key]:
    """The published entries on the way Dijkstra found from start to goal."""
    keys = []
    node = goal
    while node != start:
        node, key = came[node]
        if key is not None:
            keys.append(key)
    return keys


def protect(grids: list[Grid], min_count: int, *, ties: Iterable[Iterable[Key]] = (),
            locked: Mapping[Key, bool] | None = None) -> set[Key]:
    """The keys to publish as suppressed.

    Primary: every entry below `min_count` (zero included). Complementary: for each
    suppressed entry that `determined()` finds, the cheapest published entries that put it on
    a cycle (the smallest counts first; a total costs its value, so cells go before totals).
    `ties`: groups of entries known to be equal (the same participants counted under two
    purposes), suppressed all or none. `locked`: entries whose fate is already published
    elsewhere (key → suppressed or not), never changed here. Finally each complementary
    suppression is undone again, largest first, wherever the rest still protects every
    suppressed value, so nothing is hidden that protection does not need.
    """
    locked = dict(locked or {})
    tie_groups = [set(group) for group in ties]
    values = {entry.key: entry.value for grid in grids for entry in grid.entries}
    primary = {key for key, value in values.items()
               if value < min_count and key not in locked}
    primary |= {key for key, hidden in locked.items() if hidden}
    primary = _close_ties(primary, tie_groups, locked)
    suppressed = _complete(grids, set(primary), tie_groups, locked)
    extra = sorted((key for key in suppressed - primary if key not in locked),
                   key=lambda key: (-values[key], repr(key)))
    for key in extra:
        if key not in suppressed:
            continue
        unit = next((group for group in tie_groups if key in group), {key})
        if unit & primary:
            continue
        trial = suppressed - unit
        touched = [grid for grid in grids if any(e.key in unit for e in grid.entries)]
        if all(not determined(grid, trial) for grid in touched):
            suppressed = trial
    return suppressed


def _close_ties(suppressed: set[Key], tie_groups: list[set[Key]], locked: Mapping[Key, bool]
                ) -> set[Key]:
    for group in tie_groups:
        if group & suppressed:
            suppressed |= {key for key in group if not (key in locked and not locked[key])}
    return suppressed


def _complete(grids: list[Grid], suppressed: set[Key], tie_groups: list[set[Key]],
              locked: Mapping[Key, bool]) -> set[Key]:
    while True:
        changed = False
        for grid in grids:
            for key in determined(grid, suppressed):
                if key not in suppressed:
                    continue
                entry = next(e for e in grid.entries if e.key == key)
                path = _cheapest_cycle(grid, entry, suppressed, locked)
                if path is None:
                    # Nothing can protect it inside this grid: hide every entry not locked.
                    path = [e.key for e in grid.entries if e.key not in locked]
                before = len(suppressed)
                suppressed |= set(path)
                suppressed = _close_ties(suppressed, tie_groups, locked)
                changed = changed or len(suppressed) != before
        if not changed:
            return suppressed
