"""An attacker on published tables: exact linear programming over the rationals.

Given the published entries and the relations (each row's cells sum to its total, each
column's likewise, the totals to the grand total), it bounds every suppressed value by
maximising and minimising it subject to every relation and non-negativity. That uses every
linear combination of the relations (differences between totals included) and every bound
they imply; a value whose minimum equals its maximum is disclosed. Written independently of
widget_server.domain.suppression (a dense two-phase simplex, Bland's rule, Fractions).
"""

from fractions import Fraction

Matrix = list[list[Fraction]]


def _pivot(rows: Matrix, basis: list[int], r: int, j: int) -> None:
    factor = rows[r][j]
    rows[r] = [value / factor for value in rows[r]]
    for i, row in enumerate(rows):
        if i != r and row[j] != 0:
            scale = row[j]
            rows[i] = [a - scale * b for a, b in zip(row, rows[r], strict=True)]
    basis[r] = j


def _maximise(rows: Matrix, basis: list[int], cost: list[Fraction], allowed: int) -> bool:
    """Simplex on a tableau already in canonical form; False when unbounded. Only columns
    below `allowed` may enter."""
    while True:
        entering = None
        for j in range(allowed):
            if j in basis:
                continue
            reduced = cost[j] - sum(cost[b] * rows[i][j] for i, b in enumerate(basis))
            if reduced > 0:
                entering = j
                break
        if entering is None:
            return True
        best = None
        for i, row in enumerate(rows):
            if row[entering] > 0:
                ratio = row[-1] / row[entering]
                if best is None or (ratio, basis[i]) < best[0]:
                    best = ((ratio, basis[i]), i)
        if best is None:
            return False
        _pivot(rows, basis, best[1], entering)


def maximum(a: Matrix, b: list[Fraction], objective: list[Fraction]) -> Fraction | None:
    """max objective·x subject to a·x = b, x ≥ 0 (assumed feasible); None if unbounded."""
    n = len(objective)
    rows: Matrix = []
    for coefficients, rhs in zip(a, b, strict=True):
        sign = -1 if rhs < 0 else 1
        rows.append([sign * v for v in coefficients] + [Fraction(0)] * len(a) + [sign * rhs])
    for i, row in enumerate(rows):
        row[n + i] = Fraction(1)
    basis = [n + i for i in range(len(rows))]
    phase_one = [Fraction(0)] * n + [Fraction(-1)] * len(rows)
    assert _maximise(rows, basis, phase_one, n + len(rows))
    assert all(rows[i][-1] == 0 for i, b_ in enumerate(basis) if b_ >= n), "infeasible"
    # Drive the artificial variables left in the basis (at zero) out, or drop their rows.
    for i in reversed(range(len(rows))):
        if basis[i] >= n:
            column = next((j for j in range(n) if rows[i][j] != 0 and j not in basis), None)
            if column is None:
                del rows[i], basis[i]
            else:
                _pivot(rows, basis, i, column)
    cost = objective + [Fraction(0)] * (len(rows[0]) - 1 - n if rows else 0)
    if not _maximise(rows, basis, cost, n):
        return None
    return sum((objective[b_] * rows[i][-1] for i, b_ in enumerate(basis) if b_ < n),
               Fraction(0))


def disclosed(relations: list[tuple[list[str], list[int]]], values: dict[str, int],
              suppressed: set[str]) -> dict[str, Fraction]:
    """Which suppressed values the attacker learns exactly (name → value).

    `relations`: (names, signs) each meaning Σ sign·value = 0."""
    unknown = sorted(suppressed)
    index = {name: i for i, name in enumerate(unknown)}
    a: Matrix = []
    b: list[Fraction] = []
    for names, signs in relations:
        row = [Fraction(0)] * len(unknown)
        rhs = Fraction(0)
        for name, sign in zip(names, signs, strict=True):
            if name in index:
                row[index[name]] += sign
            else:
                rhs -= sign * values[name]
        if any(row):
            a.append(row)
            b.append(rhs)
    found = {}
    for name in unknown:
        goal = [Fraction(0)] * len(unknown)
        goal[index[name]] = Fraction(1)
        if not a:
            continue
        top = maximum(a, b, goal)
        bottom = maximum(a, b, [-g for g in goal])
        if top is not None and bottom is not None and top == -bottom:
            found[name] = top
    return found


def solved(relations: list[tuple[list[str], list[int]]], values: dict[str, int],
           suppressed: set[str]) -> dict[str, Fraction]:
    """The weaker attacker that only solves the equations (Gauss–Jordan over the rationals):
    a suppressed value is found when some combination of the relations — a difference of two
    totals, say — leaves it alone. Every such value is also one `disclosed` finds."""
    unknown = sorted(suppressed)
    index = {name: i for i, name in enumerate(unknown)}
    rows: Matrix = []
    for names, signs in relations:
        row = [Fraction(0)] * (len(unknown) + 1)
        for name, sign in zip(names, signs, strict=True):
            if name in index:
                row[index[name]] += sign
            else:
                row[-1] -= sign * values[name]
        rows.append(row)
    pivot_row = 0
    pivots: dict[int, int] = {}
    for column in range(len(unknown)):
        found = next((r for r in range(pivot_row, len(rows)) if rows[r][column] != 0), None)
        if found is None:
            continue
        rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
        lead = rows[pivot_row][column]
        rows[pivot_row] = [v / lead for v in rows[pivot_row]]
        for r, row in enumerate(rows):
            if r != pivot_row and row[column] != 0:
                scale = row[column]
                rows[r] = [a - scale * b for a, b in zip(row, rows[pivot_row], strict=True)]
        pivots[column] = pivot_row
        pivot_row += 1
    return {unknown[column]: rows[r][-1] for column, r in pivots.items()
            if all(rows[r][j] == 0 for j in range(len(unknown)) if j != column)}
