"""GET /api/v1/statistics (CONTRACT §D): counts per purpose and state, small counts
suppressed together with every count they could be worked out from; JSON and CSV; every bad
parameter a 422 naming it; one organisation never sees another's."""

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from tests.api.conftest import Api, assert_problem
from tests.domain.lp_attacker import disclosed
from tests.services.support import World
from widget_server.domain.models import Call
from widget_server.services import statistics

TODAY = datetime.now(UTC).date()
DAY1, DAY2 = TODAY - timedelta(days=3), TODAY - timedelta(days=2)


def url(start: Any = DAY1, end: Any = TODAY, **extra: str) -> str:
    query = "&".join([f"from={start}", f"to={end}", *(f"{k}={v}" for k, v in extra.items())])
    return f"/api/v1/statistics?{query}"


def crowd(app: Flask, call_id: str, choices: list[dict[str, str]], day: Any = None) -> None:
    """One participant per entry of `choices` joins the call and decides so; the call is
    moved to `day` (its opening date)."""
    world = World(app.extensions["widget_db"])
    for index, chosen in enumerate(choices):
        pid = world.join(call_id, {"display_name": f"P{index}"})["participant"]["id"]
        if chosen:
            world.decide(call_id, pid, chosen)
    if day is not None:
        with app.extensions["widget_db"].session() as session:
            session.execute(update(Call).where(Call.id == call_id).values(
                created_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)))
            session.commit()


def hidden(figure: dict[str, Any]) -> bool:
    return bool(figure["suppressed"]) and figure["count"] is None


def test_counts_per_purpose_and_state_with_the_consent_rate(app: Flask, api: Api) -> None:
    call = api.call()
    crowd(app, call["id"], [{"recording": "granted"}] * 6 + [{"recording": "denied"}] * 6
          + [{"recording": "granted", "attendance": "objected"}] * 5)
    response = api.get(url())
    assert response.status_code == 200
    report = response.get_json()
    assert (report["from"], report["to"], report["group"], report["min_count"]) == (
        DAY1.isoformat(), TODAY.isoformat(), "purpose", 5)
    assert report["participants"] == {"count": 17, "suppressed": False}
    purposes = {p["key"]: p for p in report["purposes"]}
    assert list(purposes) == ["recording", "notes_email", "attendance", "service"]
    recording = purposes["recording"]
    assert recording["total"] == {"count": 17, "suppressed": False}
    assert recording["states"]["granted"] == {"count": 11, "suppressed": False}
    # pending and withdrawn are 0: below 5, and the rest adds up to the total, so one more
    # (the smallest, denied) is hidden with them.
    assert all(hidden(recording["states"][s]) for s in ("pending", "withdrawn", "denied"))
    assert recording["consent_rate"] == {"value": None, "suppressed": True}
    attendance = purposes["attendance"]["states"]
    assert attendance == {"not_objected": {"count": 12, "suppressed": False},
                          "objected": {"count": 5, "suppressed": False}}
    assert purposes["attendance"]["consent_rate"] is None
    assert purposes["service"]["states"] == {"informed": {"count": 17, "suppressed": False}}
    assert all(hidden(f) for f in purposes["notes_email"]["states"].values())
    assert purposes["notes_email"]["total"]["count"] == 17


def test_the_consent_rate_is_granted_over_decided(app: Flask, api: Api) -> None:
    call = api.call()
    crowd(app, call["id"], [{"recording": "granted"}] * 7 + [{"recording": "denied"}] * 5
          + [{"recording": "granted"}] * 5 + [{}] * 5)
    world = World(app.extensions["widget_db"])
    roster = world.roster(call["id"])["participants"]
    # Five of the twelve who granted withdraw.
    granted = [p["id"] for p in roster if p["state"]["recording"] == "granted"][:5]
    for pid in granted:
        world.decide(call["id"], pid, {"recording": "withdrawn"})
    recording = next(p for p in api.get(url()).get_json()["purposes"]
                     if p["key"] == "recording")
    assert {s: f["count"] for s, f in recording["states"].items()} == {
        "pending": 5, "granted": 7, "denied": 5, "withdrawn": 5}
    assert recording["consent_rate"] == {"value": round(7 / 17, 4), "suppressed": False}


@pytest.mark.parametrize("people", [1, 2, 3, 4])
def test_a_range_with_one_to_four_participants_is_suppressed_whole(app: Flask, api: Api,
                                                                  people: int) -> None:
    call = api.call()
    crowd(app, call["id"], [{"recording": "granted"}] * people)
    for group in ("purpose", "day"):
        report = api.get(url(group=group)).get_json()
        levels = [report, *report.get("days", [])]
        assert len(levels) == (2 if group == "day" else 1)
        for level in levels:
            assert hidden(level["participants"])
            for purpose in level["purposes"]:
                assert hidden(purpose["total"])
                assert all(hidden(f) for f in purpose["states"].values())
                if purpose["consent_rate"] is not None:
                    assert purpose["consent_rate"] == {"value": None, "suppressed": True}
        text = api.get(url(group=group, format="csv")).get_data(as_text=True)
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows and all(r["count"] == "" and r["rate"] == "" for r in rows)
        assert all(r["suppressed"] == "true" for r in rows)


def _two_days(app: Flask, api: Api) -> None:
    notice = api.notice()
    first, second = api.call(notice["id"]), api.call(notice["id"])
    crowd(app, first["id"], [{"recording": "granted"}] * 9 + [{"recording": "denied"}] * 3
          + [{"recording": "granted", "attendance": "objected"}] * 6, day=DAY1)
    crowd(app, second["id"], [{"recording": "granted"}] * 2 + [{"recording": "denied"}] * 8
          + [{}] * 7, day=DAY2)


def test_by_day_the_range_is_published_as_by_purpose(app: Flask, api: Api) -> None:
    _two_days(app, api)
    by_purpose = api.get(url()).get_json()
    by_day = api.get(url(group="day")).get_json()
    assert by_day["group"] == "day" and "days" not in by_purpose
    assert by_day["purposes"] == by_purpose["purposes"]
    assert by_day["participants"] == by_purpose["participants"] == {"count": 35,
                                                                    "suppressed": False}
    assert [d["day"] for d in by_day["days"]] == [DAY1.isoformat(), DAY2.isoformat()]
    assert [d["participants"]["count"] for d in by_day["days"]] == [18, 17]
    first, second = ({p["key"]: p for p in day["purposes"]} for day in by_day["days"])
    assert hidden(first["recording"]["states"]["denied"])  # 3
    assert hidden(second["recording"]["states"]["granted"])  # 2
    # Nobody objected on day 2 (0, hidden), so day 2's not_objected (17) would tell it:
    # hidden too; then day 1's two cells, or the range's columns would tell them.
    assert all(hidden(f) for day in (first, second)
               for f in day["attendance"]["states"].values())
    assert first["attendance"]["total"]["count"] == 18
    assert second["service"]["states"]["informed"] == {"count": 17, "suppressed": False}


def test_an_attacker_learns_no_suppressed_count_from_both_groupings(app: Flask, api: Api
                                                                   ) -> None:
    """Every relation of both answers (states to totals, days to the range, purposes'
    totals equal to the participants, as with one notice) given to an exact LP attacker."""
    _two_days(app, api)
    report = api.get(url(group="day")).get_json()
    with app.extensions["widget_db"].read_session() as session:
        from widget_server.services.organisations import authenticate

        org = authenticate(session, api.headers["Authorization"].split()[1])
        truth = statistics.statistics(session, org, DAY1, TODAY, group="day", min_count=0)
    values, relations, suppressed = _relations(report, truth)
    assert suppressed, "the example must suppress something"
    assert disclosed(relations, values, suppressed) == {}


def _relations(report: dict[str, Any], truth: dict[str, Any]
               ) -> tuple[dict[str, int], list[tuple[list[str], list[int]]], set[str]]:
    values: dict[str, int] = {}
    suppressed: set[str] = set()
    relations: list[tuple[list[str], list[int]]] = []

    def note(name: str, published: dict[str, Any], true: dict[str, Any]) -> str:
        values[name] = true["count"]
        if published["suppressed"]:
            suppressed.add(name)
        else:
            assert published["count"] == true["count"]
        return name

    levels = [("all", report, truth)] + [
        (d["day"], d, t) for d, t in zip(report["days"], truth["days"], strict=True)]
    for level, published, true in levels:
        people = note(f"{level}/participants", published["participants"], true["participants"])
        for p, t in zip(published["purposes"], true["purposes"], strict=True):
            states = [note(f"{level}/{p['key']}/{s}", p["states"][s], t["states"][s])
                      for s in p["states"]]
            total = note(f"{level}/{p['key']}/total", p["total"], t["total"])
            relations.append(([*states, total], [1] * len(states) + [-1]))
            relations.append(([total, people], [1, -1]))  # one notice: everyone is asked
    days = [d["day"] for d in report["days"]]
    relations.append(([f"{d}/participants" for d in days] + ["all/participants"],
                      [1] * len(days) + [-1]))
    for p in report["purposes"]:
        for measure in [*p["states"], "total"]:
            relations.append(([f"{d}/{p['key']}/{measure}" for d in days]
                              + [f"all/{p['key']}/{measure}"], [1] * len(days) + [-1]))
    return values, relations, suppressed


def test_csv_has_the_same_figures(app: Flask, api: Api) -> None:
    _two_days(app, api)
    report = api.get(url(group="day")).get_json()
    for response in (api.get(url(group="day", format="csv")),
                     api.client.get(url(group="day"), headers={**api.headers,
                                                               "Accept": "text/csv"})):
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert list(rows[0]) == ["day", "purpose", "measure", "count", "rate", "suppressed"]
        assert rows[0] == {"day": "", "purpose": "", "measure": "participants", "count": "35",
                           "rate": "", "suppressed": "false"}
        figures = {(r["day"], r["purpose"], r["measure"]): r for r in rows}
        for level, day in [(report, "")] + [(d, d["day"]) for d in report["days"]]:
            for purpose in level["purposes"]:
                for state, figure in [*purpose["states"].items(), ("total", purpose["total"])]:
                    row = figures[(day, purpose["key"], state)]
                    assert row["suppressed"] == ("true" if figure["suppressed"] else "false")
                    assert row["count"] == ("" if figure["count"] is None
                                            else str(figure["count"]))
        assert figures[("", "recording", "consent_rate")]["suppressed"] in ("true", "false")


def test_the_notice_filter_and_another_organisations_calls(app: Flask, api: Api,
                                                           other: Api) -> None:
    call = api.call()
    crowd(app, call["id"], [{"recording": "granted"}] * 6)
    theirs = other.call()
    crowd(app, theirs["id"], [{"recording": "denied"}] * 9)
    mine = api.get(url()).get_json()
    assert mine["participants"]["count"] == 6
    assert other.get(url()).get_json()["participants"]["count"] == 9
    assert api.get(url(notice_id=call["notice"]["id"])).get_json()["participants"]["count"] == 6
    unused = api.notice()
    empty = api.get(url(notice_id=unused["id"])).get_json()
    assert empty["purposes"] == [] and hidden(empty["participants"])
    # Another organisation's notice is refused exactly like one that does not exist.
    foreign = assert_problem(api.get(url(notice_id=theirs["notice"]["id"])), 422)
    missing = assert_problem(api.get(url(notice_id="ntc_nope")), 422)
    assert set(foreign["errors"]) == set(missing["errors"]) == {"notice_id"}
    assert foreign["detail"].replace(theirs["notice"]["id"], "X") == missing["detail"].replace(
        "ntc_nope", "X")


def test_a_range_outside_the_calls_days_counts_nothing(app: Flask, api: Api) -> None:
    call = api.call()
    crowd(app, call["id"], [{"recording": "granted"}] * 6, day=DAY1)
    before = api.get(url(DAY1 - timedelta(days=10), DAY1 - timedelta(days=1))).get_json()
    assert before["purposes"] == [] and before["participants"]["suppressed"]
    assert api.get(url(DAY1, DAY1)).get_json()["participants"]["count"] == 6


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-13-01&to=2026-12-31", "from"),
    ("from=yesterday&to=2026-12-31", "from"),
    ("from=2026-1-5&to=2026-12-31", "from"),
    ("from=2026-01-05T00:00:00&to=2026-12-31", "from"),
    ("from=2026-02-30&to=2026-12-31", "from"),
    ("from=2026-01-01&to=2026-00-31", "to"),
    ("to=2026-12-31", "from"),
    ("from=2026-01-01", "to"),
    ("from=2026-02-01&to=2026-01-31", "to"),  # from after to
    ("from=2025-01-01&to=2026-01-02", "to"),  # 367 days
    ("from=2026-01-01&to=2026-01-31&group=week", "group"),
    ("from=2026-01-01&to=2026-01-31&format=xml", "format"),
    ("from=2026-01-01&to=2026-01-31&notice_id=no%20such", "notice_id"),
    ("from=2026-01-01&to=2026-01-31&purpose=recording", "purpose"),
    ("from=2026-01-01&to=2026-01-31&min_count=1", "min_count"),
])
def test_bad_parameters_are_422_naming_them(api: Api, query: str, field: str) -> None:
    body = assert_problem(api.get(f"/api/v1/statistics?{query}"), 422)
    assert field in str(body["errors"]), body
    assert set(body["errors"]) <= {"from", "to", "group", "format", "notice_id", "query",
                                   field}


def test_366_days_inclusive_are_allowed(api: Api) -> None:
    assert api.get(url("2024-01-01", "2024-12-31")).status_code == 200  # a leap year


def test_an_api_key_is_needed(anonymous: Api) -> None:
    assert_problem(anonymous.get(url()), 401)
