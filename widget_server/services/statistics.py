"""Aggregate consent statistics of an organisation, safe to share (CONTRACT §D, Statistics).

What is counted: the participants of the organisation's calls opened (`created_at`, UTC) on a
day from `start` to `end` inclusive, each in the current state of each purpose of their call's
notice; per purpose and state over the whole range, and per UTC day of the call's opening with
`group="day"`. Days without participants are left out. The consent rate of a consent purpose
is granted / decided (granted + denied + withdrawn).

Every count below `min_count` is suppressed, and so is every count from which a suppressed one
could be worked out (domain/suppression.py). The range totals are protected first, exactly as
`group="purpose"` publishes them, and the daily figures then without changing them, so asking
for both groupings discloses no more than either.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from widget_server.domain.errors import ValidationFailed
from widget_server.domain.lawful_basis import LawfulBasis
from widget_server.domain.models import Call, Notice, NoticeVersion, Participant, PurposeState
from widget_server.domain.suppression import FREE, Grid, Key, protect, table_grid

MAX_DAYS = 366  # a leap year: a longer range is two requests
GROUPS = ("purpose", "day")
CONSENT_DECIDED = ("granted", "denied", "withdrawn")
STATES: dict[LawfulBasis, tuple[str, ...]] = {
    LawfulBasis.CONSENT: ("pending", "granted", "denied", "withdrawn"),
    LawfulBasis.LEGITIMATE_INTERESTS: ("not_objected", "objected"),
}
INFORMED_STATES = ("informed",)
CSV_COLUMNS = ("day", "purpose", "measure", "count", "rate", "suppressed")


@dataclass(frozen=True)
class Counts:
    """What the database says, before anything is suppressed."""

    purposes: dict[str, tuple[str, ...]]  # key → its state columns, in the notices' order
    cells: dict[tuple[str, str, str], int]  # (day, purpose, state) → participants
    participants: dict[str, int]  # day → participants


def check_range(start: date, end: date) -> None:
    """`from` ≤ `to`, at most MAX_DAYS days inclusive; a ValidationFailed naming `to`."""
    if end < start:
        raise ValidationFailed("'to' is before 'from'.",
                               fields={"to": ["Must not be before 'from'."]})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"The range is longer than {MAX_DAYS} days.",
                               fields={"to": [f"At most {MAX_DAYS} days after 'from', "
                                              "inclusive."]})


def statistics(session: Session, organisation_id: str, start: date, end: date, *,
               notice_id: str | None = None, group: str = "purpose", min_count: int = 5
               ) -> dict[str, Any]:
    """The organisation's consent statistics over the range, suppressed and protected.

    Reads only; a notice of another organisation is refused exactly like one that does not
    exist (ValidationFailed naming `notice_id`)."""
    check_range(start, end)
    if group not in GROUPS:
        raise ValidationFailed(f"Unknown group {group!r}.",
                               fields={"group": [f"One of: {', '.join(GROUPS)}."]})
    if notice_id is not None and session.scalar(select(Notice.id).where(
            Notice.id == notice_id, Notice.organisation_id == organisation_id)) is None:
        raise ValidationFailed(f"No notice {notice_id}.",
                               fields={"notice_id": [f"No notice {notice_id}."]})
    counts = _counts(session, organisation_id, start, end, notice_id)
    report: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat(),
                              "group": group, "notice_id": notice_id, "min_count": min_count}
    hidden = _protect(counts, min_count, by_day=group == "day")
    report.update(_level(counts, hidden, None))
    if group == "day":
        report["days"] = [{"day": day, **_level(counts, hidden, day)}
                          for day in sorted(counts.participants)]
    return report


def csv_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The report's figures as rows of CSV_COLUMNS; a suppressed figure is empty."""
    rows: list[list[Any]] = []
    levels = [("", report)] + [(day["day"], day) for day in report.get("days", [])]
    for day, level in levels:
        rows.append([day, "", "participants", *_csv_figure(level["participants"])])
        for purpose in level["purposes"]:
            for state, figure in purpose["states"].items():
                rows.append([day, purpose["key"], state, *_csv_figure(figure)])
            rows.append([day, purpose["key"], "total", *_csv_figure(purpose["total"])])
            if purpose["consent_rate"] is not None:
                rate = purpose["consent_rate"]
                rows.append([day, purpose["key"], "consent_rate", "",
                             "" if rate["value"] is None else rate["value"],
                             "true" if rate["suppressed"] else "false"])
    return rows


def _csv_figure(figure: dict[str, Any]) -> list[Any]:
    count = "" if figure["count"] is None else figure["count"]
    return [count, "", "true" if figure["suppressed"] else "false"]


# ---- reading ------------------------------------------------------------------------------

def _counts(session: Session, organisation_id: str, start: date, end: date,
            notice_id: str | None) -> Counts:
    since = datetime.combine(start, time.min, UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, UTC)
    calls = select(Call.id, Call.created_at, Call.notice_version_id).where(
        Call.organisation_id == organisation_id, Call.created_at >= since,
        Call.created_at < until)
    if notice_id is not None:
        calls = calls.join(NoticeVersion, NoticeVersion.id == Call.notice_version_id).where(
            NoticeVersion.notice_id == notice_id)
    day_of: dict[str, str] = {}
    versions: set[int] = set()
    for call_id, created_at, version_id in session.execute(calls):
        day_of[call_id] = created_at.astimezone(UTC).date().isoformat()
        versions.add(version_id)
    participants: dict[str, int] = defaultdict(int)
    cells: dict[tuple[str, str, str], int] = defaultdict(int)
    if day_of:
        for call_id, number in session.execute(
                select(Participant.call_id, func.count()).where(
                    Participant.call_id.in_(day_of)).group_by(Participant.call_id)):
            participants[day_of[call_id]] += number
        for call_id, purpose, state, number in session.execute(
                select(Participant.call_id, PurposeState.purpose, PurposeState.state,
                       func.count())
                .join(Participant, Participant.id == PurposeState.participant_id)
                .where(Participant.call_id.in_(day_of))
                .group_by(Participant.call_id, PurposeState.purpose, PurposeState.state)):
            cells[(day_of[call_id], purpose, state)] += number
    return Counts(_purposes(session, versions), dict(cells),
                  {day: n for day, n in participants.items() if n})


def _purposes(session: Session, versions: set[int]) -> dict[str, tuple[str, ...]]:
    """Each purpose key of these notice versions with the states its bases allow."""
    columns: dict[str, list[str]] = {}
    if not versions:
        return {}
    contents = session.scalars(select(NoticeVersion.content).where(
        NoticeVersion.id.in_(versions)).order_by(NoticeVersion.id))
    for content in contents:
        for purpose in content["purposes"]:
            states = STATES.get(LawfulBasis(purpose["lawful_basis"]), INFORMED_STATES)
            known = columns.setdefault(purpose["key"], [])
            known.extend(state for state in states if state not in known)
    return {key: tuple(states) for key, states in columns.items()}


# ---- protecting -----------------------------------------------------------------------------

def _keys(day: str | None, purpose: str | None, measure: str) -> Key:
    """The key of one published figure; day None is the whole range."""
    return (day or "range", purpose, measure)


def _protect(counts: Counts, min_count: int, *, by_day: bool) -> set[Key]:
    """The keys to suppress: the range's figures first, then (by_day) each day's."""
    range_grids, range_ties, rename = _range_tables(counts)
    hidden = {rename[key] for key in protect(range_grids, min_count, ties=range_ties)
              if key in rename}
    if not by_day:
        return hidden
    grids, ties, rename, locked = _day_tables(counts, hidden)
    return hidden | {rename[key] for key in protect(grids, min_count, ties=ties, locked=locked)
                     if key in rename}


def _range_tables(counts: Counts) -> tuple[list[Grid], list[list[Key]], dict[Key, Key]]:
    grids: list[Grid] = []
    rename: dict[Key, Key] = {}
    totals: dict[Key, int] = {}
    for purpose, states in counts.purposes.items():
        cells = {("all", state): _sum(counts, None, purpose, state) for state in states}
        total = sum(cells.values())
        grid = table_grid(cells, {"all": total}, name=("range", purpose))
        grids.append(grid)
        for state in states:
            rename[(("range", purpose), "cell", "all", state)] = _keys(None, purpose, state)
        rename[(("range", purpose), "row_total", "all")] = _keys(None, purpose, "total")
        totals[_keys(None, purpose, "total")] = total
    everyone = _keys(None, None, "participants")
    loose = Grid()
    loose.add(everyone, sum(counts.participants.values()), FREE, FREE)  # tied by nothing
    grids.append(loose)
    rename[everyone] = everyone
    totals[everyone] = sum(counts.participants.values())
    renamed_ties = _equal(totals)
    inverse = {new: old for old, new in rename.items()}
    return grids, [[inverse[key] for key in tie] for tie in renamed_ties], rename


def _day_tables(counts: Counts, range_hidden: set[Key]
                ) -> tuple[list[Grid], list[list[Key]], dict[Key, Key], dict[Key, bool]]:
    days = sorted(counts.participants)
    grids: list[Grid] = []
    rename: dict[Key, Key] = {}
    locked: dict[Key, bool] = {}
    totals_by_day: dict[str, dict[Key, int]] = defaultdict(dict)
    for purpose, states in counts.purposes.items():
        name = ("day", purpose)
        cells = {(day, state): counts.cells.get((day, purpose, state), 0)
                 for day in days for state in states}
        row_totals = {day: sum(cells[(day, state)] for state in states) for day in days}
        column_totals = {state: _sum(counts, None, purpose, state) for state in states}
        grids.append(table_grid(cells, row_totals, column_totals,
                                sum(column_totals.values()), name=name))
        for day in days:
            for state in states:
                rename[(name, "cell", day, state)] = _keys(day, purpose, state)
            rename[(name, "row_total", day)] = _keys(day, purpose, "total")
            totals_by_day[day][_keys(day, purpose, "total")] = row_totals[day]
        for state in states:
            locked[(name, "column_total", state)] = _keys(None, purpose, state) in range_hidden
        locked[(name, "grand_total")] = _keys(None, purpose, "total") in range_hidden
    people = table_grid({("all", day): counts.participants[day] for day in days},
                        {"all": sum(counts.participants.values())}, name="participants")
    grids.append(people)
    for day in days:
        rename[("participants", "cell", "all", day)] = _keys(day, None, "participants")
        totals_by_day[day][_keys(day, None, "participants")] = counts.participants[day]
    locked[("participants", "row_total", "all")] = (
        _keys(None, None, "participants") in range_hidden)
    inverse = {new: old for old, new in rename.items()}
    ties = [[inverse[key] for key in tie]
            for totals in totals_by_day.values() for tie in _equal(totals)]
    return grids, ties, rename, locked


def _equal(totals: dict[Key, int]) -> list[list[Key]]:
    """Totals of one level with the same value: the same participants counted under several
    purposes (every purpose of one notice counts everyone), so an attacker may know them
    equal; they are suppressed together."""
    groups: dict[int, list[Key]] = defaultdict(list)
    for key, value in totals.items():
        groups[value].append(key)
    return [group for group in groups.values() if len(group) > 1]


def _sum(counts: Counts, day: str | None, purpose: str, state: str) -> int:
    return sum(n for (d, p, s), n in counts.cells.items()
               if p == purpose and s == state and (day is None or d == day))


# ---- rendering ------------------------------------------------------------------------------

def _level(counts: Counts, hidden: set[Key], day: str | None) -> dict[str, Any]:
    participants = (counts.participants.get(day, 0) if day is not None
                    else sum(counts.participants.values()))
    purposes = []
    for purpose, states in counts.purposes.items():
        values = {state: (counts.cells.get((day, purpose, state), 0) if day is not None
                          else _sum(counts, None, purpose, state)) for state in states}
        figures = {state: _figure(values[state], _keys(day, purpose, state) in hidden)
                   for state in states}
        purposes.append({
            "key": purpose, "states": figures,
            "total": _figure(sum(values.values()), _keys(day, purpose, "total") in hidden),
            "consent_rate": _rate(figures) if "granted" in states else None})
    return {"participants": _figure(participants,
                                    _keys(day, None, "participants") in hidden),
            "purposes": purposes}


def _figure(count: int, suppressed: bool) -> dict[str, Any]:
    return {"count": None if suppressed else count, "suppressed": suppressed}


def _rate(figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """granted / decided, published only when every count it is made of is."""
    if any(figures[state]["suppressed"] for state in CONSENT_DECIDED):
        return {"value": None, "suppressed": True}
    decided = sum(figures[state]["count"] for state in CONSENT_DECIDED)
    if decided == 0:
        return {"value": None, "suppressed": False}
    return {"value": round(figures["granted"]["count"] / decided, 4), "suppressed": False}
