"""Sealing and proof retention through the operator's commands (CONTRACT §C): `purge` seals a
call whose retention has all passed, later deletes its proof leaving a closing signed
checkpoint, and `verify-ledger` accepts that call, or names it when the closing checkpoint is
missing or forged."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.cli.test_cli import Cli, move_end_back, populate, sql
from tests.cli.test_cli import cli as cli  # the fixture of those tests
from widget_server.domain.ids import utcnow
from widget_server.services.database import Database


def scalar(url: str, statement: str) -> object:
    db = Database(url)
    with db.engine.connect() as conn:
        value = conn.execute(text(statement)).scalar()
    db.dispose()
    return value


def sealed_then_closed(cli: Cli) -> str:
    world = populate(cli.url)
    call_id = world["call"]
    move_end_back(cli.url, call_id, days=366, instance=cli.folder / "instance")
    sealed = cli("purge")
    assert sealed.returncode == 0, sealed.stderr
    assert "Sealed 1 calls; deleted the proof of 0 calls" in sealed.stdout
    assert scalar(cli.url, f"SELECT title FROM call WHERE id = '{call_id}'") == ""
    verified = cli("verify-ledger")
    assert verified.returncode == 0, verified.stderr
    assert "8 events in 1 calls" in verified.stdout
    assert "1 of these calls are sealed (no personal data left)" in verified.stdout
    assert "Sealed 0 calls" in cli("purge").stdout  # once only

    kept = (utcnow() - timedelta(days=1094)).replace(tzinfo=None)
    sql(cli.url, f"UPDATE call SET sealed_at = '{kept.isoformat(' ')}' WHERE id = '{call_id}'")
    assert "deleted the proof of 0 calls" in cli("purge").stdout  # 1095 days not yet passed
    past = (utcnow() - timedelta(days=1096)).replace(tzinfo=None)
    sql(cli.url, f"UPDATE call SET sealed_at = '{past.isoformat(' ')}' WHERE id = '{call_id}'")
    closed = cli("purge")
    assert closed.returncode == 0, closed.stderr
    assert "deleted the proof of 1 calls" in closed.stdout
    assert scalar(cli.url, "SELECT count(*) FROM decision_event") == 0
    assert scalar(cli.url, "SELECT count(*) FROM checkpoint") == 1
    return call_id


def test_verify_ledger_accepts_a_call_whose_proof_was_deleted(cli: Cli) -> None:
    call_id = sealed_then_closed(cli)
    for args in (("verify-ledger",), ("verify-ledger", "--call", call_id)):
        result = cli(*args)
        assert result.returncode == 0, result.stderr
        assert "0 events in 1 calls" in result.stdout
        assert "1 of these calls are sealed with their proof deleted" in result.stdout
        assert "closing signed checkpoint verifies" in result.stdout


@pytest.mark.parametrize(("tamper", "problem"), [
    ("DELETE FROM checkpoint", "closing signed checkpoint is missing"),
    ("UPDATE checkpoint SET jws = substr(jws, 1, length(jws) - 8) || 'AAAAAAAA'",
     "closing checkpoint: the signature does not match"),
    ("UPDATE checkpoint SET events = 3", "does not match the call's final head"),
    ("UPDATE call SET ledger_seq = 3", "does not match the call's final head"),
])
def test_verify_ledger_fails_on_a_missing_or_forged_closing_checkpoint(
        cli: Cli, tamper: str, problem: str) -> None:
    call_id = sealed_then_closed(cli)
    sql(cli.url, tamper)
    result = cli("verify-ledger")
    assert result.returncode == 1
    assert f"call {call_id}" in result.stderr and problem in result.stderr, result.stderr


@pytest.mark.parametrize("value", ["abc", "0", "-2", "true", "1e9", "nan"])
def test_a_bad_max_call_hours_stops_the_server_with_a_message_naming_it(
        cli: Cli, value: str) -> None:
    cli.env["WIDGET_SERVER_MAX_CALL_HOURS"] = value
    for args in (("serve", "--port", "1"), ("purge",)):
        result = cli(*args)
        assert result.returncode != 0
        assert "WIDGET_SERVER_MAX_CALL_HOURS must be a number of hours" in result.stderr
