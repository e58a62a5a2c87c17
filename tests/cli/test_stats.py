"""`widget-server stats` (CONTRACT §D, Statistics) run as a separate process: the figures of
GET /api/v1/statistics, JSON or CSV, and a usage error naming each bad option."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.cli.test_cli import Cli
from tests.cli.test_cli import cli as cli  # the fixture of those tests
from tests.conftest import SECRET, lecture_notice
from tests.services.support import World
from widget_server.services import calls, notices, organisations
from widget_server.services.database import Database

TODAY = datetime.now(UTC).date()
SPAN = ("--from", str(TODAY - timedelta(days=1)), "--to", str(TODAY))


def populate(url: str, people: int) -> dict[str, Any]:
    db = Database(url)
    with db.session() as s:
        org, _ = organisations.create_organisation(s, "Org", ["https://meet.example.org"])
    with db.session() as s:
        other, _ = organisations.create_organisation(s, "Other", ["https://meet.example.org"])
    with db.session() as s:
        notice = notices.publish_notice(s, org, lecture_notice())
    with db.session() as s:
        foreign = notices.publish_notice(s, other, lecture_notice())
    with db.session() as s:
        call = calls.open_call(s, org, SECRET, title="T", notice_id=notice["id"])
    world = World(db)
    for index in range(people):
        pid = world.join(call["id"], {"display_name": f"P{index}"})["participant"]["id"]
        world.decide(call["id"], pid, {"recording": "granted"})
    db.dispose()
    return {"org": org, "notice": notice["id"], "foreign_notice": foreign["id"]}


def test_stats_prints_the_figures_as_json_and_csv(cli: Cli) -> None:
    made = populate(cli.url, 6)
    result = cli("stats", "--org", made["org"], *SPAN)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["participants"] == {"count": 6, "suppressed": False}
    recording = next(p for p in report["purposes"] if p["key"] == "recording")
    assert recording["total"]["count"] == 6
    assert recording["states"]["granted"] == {"count": None, "suppressed": True}  # 6, but
    # the three zeros beside it would be 0 = 6 − 6
    by_day = json.loads(cli("stats", "--org", made["org"], *SPAN, "--group", "day",
                            "--notice", made["notice"]).stdout)
    assert [d["day"] for d in by_day["days"]] == [TODAY.isoformat()]
    as_csv = cli("stats", "--org", made["org"], *SPAN, "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows[0] == {"day": "", "purpose": "", "measure": "participants", "count": "6",
                       "rate": "", "suppressed": "false"}
    assert {"recording", "notes_email", "attendance", "service"} <= {r["purpose"] for r in rows}


def test_stats_names_each_bad_option(cli: Cli) -> None:
    made = populate(cli.url, 2)
    for args, named in [
        (("--org", made["org"], "--from", "2026-1-5", "--to", "2026-02-01"), "--from"),
        (("--org", made["org"], "--from", "2026-02-01", "--to", "2026-01-31"), "--to"),
        (("--org", made["org"], "--from", "2025-01-01", "--to", "2026-01-02"), "--to"),
        (("--org", made["org"], *SPAN, "--group", "week"), "--group"),
        (("--org", made["org"], *SPAN, "--notice", made["foreign_notice"]), "--notice"),
        (("--org", "org_nope", *SPAN), "--org"),
    ]:
        result = cli("stats", *args)
        assert result.returncode == 2, (args, result.stdout)
        assert named in result.stderr, (args, result.stderr)
        assert result.stdout == ""


def test_a_bad_minimum_count_stops_with_the_variable_named(cli: Cli) -> None:
    made = populate(cli.url, 2)
    for value in ("1", "five", "0", "1001"):
        cli.env["WIDGET_SERVER_STATS_MIN_COUNT"] = value
        result = cli("stats", "--org", made["org"], *SPAN)
        assert result.returncode != 0
        assert "WIDGET_SERVER_STATS_MIN_COUNT must be a whole number" in result.stderr
    cli.env["WIDGET_SERVER_STATS_MIN_COUNT"] = "2"
    result = cli("stats", "--org", made["org"], *SPAN)
    assert json.loads(result.stdout)["participants"] == {"count": 2, "suppressed": False}
