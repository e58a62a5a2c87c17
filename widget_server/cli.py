"""`widget-server` commands (CONTRACT: Running it). Run through widget_server.entry:main."""

import csv
import json
import re
import sys
from datetime import date
from typing import Any

import click
from flask import Flask

from widget_server import config, logs, migrate
from widget_server.app import create_app
from widget_server.services import (
    checkpoints,
    ledger,
    organisations,
    receipts,
    retention,
    sealing,
    statistics,
)
from widget_server.services.database import Database


def _app(ctx: click.Context, serving: bool = False) -> Flask:
    # Only a serving process needs the chosen concurrency library; one-off commands run plain.
    app = create_app(None if serving else {"ASYNC_MODE": "threading"})
    problem = config.serving_problem(app) if serving else None
    if problem:
        raise click.UsageError(problem)  # exit status 2, the message on stderr
    if app.config["DATABASE_URL"].startswith("sqlite"):
        # The embedded default looks after itself: created and migrated on first use.
        migrate.upgrade(db(app))
    if not serving:
        # Closing takes off the disk whatever the command erased (a purge): no server's scrub
        # task knows of it (services/scrub.py).
        ctx.call_on_close(db(app).dispose)
    return app


def db(app: Flask) -> Database:
    database: Database = app.extensions["widget_db"]
    return database


@click.group()
def cli() -> None:
    """Consent widget server."""
    logs.configure()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Run the server (HTTP and Socket.IO, one process)."""
    from widget_server.serving import serve as run

    require_free_port(host, port, "--port")
    obj: dict[str, Any] = ctx.obj or {}
    run(_app(ctx, serving=True), host, port, obj.get("runner"), obj.get("open_files", 0))


@cli.command()
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--meeting-port", type=int, default=None,
              help="The sample meeting page's port  [default: --port + 1]")
@click.pass_context
def demo(ctx: click.Context, port: int, meeting_port: int | None) -> None:
    """Serve a demo call, its live dashboard, and a meeting page on a second origin."""
    from widget_server import demo as sample
    from widget_server.serving import serve as run

    meeting_port = port + 1 if meeting_port is None else meeting_port
    require_free_port("127.0.0.1", port, "--port")
    require_free_port("127.0.0.1", meeting_port, "--meeting-port")
    app = _app(ctx, serving=True)
    # Two origins on one machine: the server on 127.0.0.1, the meeting page on localhost.
    server_url, meeting_url = f"http://127.0.0.1:{port}", f"http://localhost:{meeting_port}"
    app.config["PUBLIC_URL"] = app.config["PUBLIC_URL"] or server_url
    prepared = sample.prepare(app, meeting_url)
    sample.serve_meeting_page("127.0.0.1", meeting_port, server_url, prepared)
    click.echo(f"Meeting page (a participant):  {meeting_url}/\n"
               f"Host dashboard:                {server_url}/host#token={prepared['host_token']}\n"
               f"API key of the demo organisation: {prepared['api_key']}\n"
               "Open both pages side by side; press Ctrl+C to stop.")
    obj: dict[str, Any] = ctx.obj or {}
    run(app, "127.0.0.1", port, obj.get("runner"), obj.get("open_files", 0))


def require_free_port(host: str, port: int, option: str) -> None:
    """Stop with a clear message when another process listens on the port. The server itself
    listens without SO_REUSEPORT, so two servers can never share a port silently (each would
    get half the requests, with different instance folders: keys valid in one, not the other)."""
    import errno
    import socket

    if not 0 < port < 65536:
        raise click.UsageError(f"{option} {port} is not a port (1 to 65535).")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            probe.bind((host, port))
        except OSError as err:
            why = ("is already in use by another process" if err.errno == errno.EADDRINUSE
                   else f"cannot be used ({err.strerror})")
            click.echo(f"Port {port} on {host} {why}. Stop that process, or choose another "
                       f"port with {option}.", err=True)
            sys.exit(2)


@cli.command("create-org")
@click.argument("name")
@click.option("--origin", "origins", multiple=True, required=True,
              help="An origin allowed to embed the widget, e.g. https://meet.example.org.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def create_org(ctx: click.Context, name: str, origins: tuple[str, ...], as_json: bool) -> None:
    """Create an organisation and print its API key (shown this once only)."""
    from widget_server.domain.errors import DomainError

    app = _app(ctx)
    try:
        with db(app).session() as session:
            org_id, key = organisations.create_organisation(session, name, list(origins))
    except DomainError as err:
        raise click.UsageError(err.message) from None
    if as_json:
        click.echo(json.dumps({"organisation_id": org_id, "api_key": key}))
    else:
        click.echo(f"Organisation: {org_id}\nAPI key (shown once, keep it safe): {key}")


@cli.command()
@click.pass_context
def purge(ctx: click.Context) -> None:
    """Apply retention now; prints how many values were removed (never the values), how many
    calls were sealed and how many had their proof deleted (past proof_retention_days)."""
    app = _app(ctx)
    ring = app.extensions["widget_keys"].ring()
    with db(app).session() as session:
        report = retention.purge(session)
    with db(app).session() as session:
        sealed = sealing.seal(session)
    with db(app).session() as session:
        # A call ended while no server ran has no final checkpoint yet: sign it first.
        checkpoints.sign_changed(session, ring)
    with db(app).session() as session:
        proofs = sealing.delete_proofs(session, ring)
    counts = ", ".join(f"{name}: {count}" for name, count in report.values.items())
    click.echo(f"Purged {report.total} values from {report.calls} calls ({counts}).")
    click.echo(f"Sealed {sealed} calls; deleted the proof of {proofs.proofs_deleted} calls, "
               "each leaving its closing signed checkpoint.")
    if proofs.refused:
        click.echo(f"Kept the proof of {len(proofs.refused)} calls whose ledger does not "
                   f"verify (first: {proofs.refused[0]}); run verify-ledger.", err=True)


class Day(click.ParamType):
    """A calendar day as YYYY-MM-DD, as the REST API takes it."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> date:
        if isinstance(value, date):
            return value
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
                return date.fromisoformat(str(value))
        except ValueError:
            pass
        self.fail(f"{value!r} is not a date as YYYY-MM-DD.", param, ctx)


@cli.command()
@click.option("--org", "organisation_id", required=True, help="The organisation's id.")
@click.option("--from", "start", required=True, type=Day(), help="First day (UTC).")
@click.option("--to", "end", required=True, type=Day(), help="Last day (UTC), inclusive.")
@click.option("--notice", "notice_id", default=None, help="Only calls on this notice.")
@click.option("--group", type=click.Choice(statistics.GROUPS), default="purpose",
              show_default=True)
@click.option("--format", "output", type=click.Choice(("json", "csv")), default="json",
              show_default=True)
@click.pass_context
def stats(ctx: click.Context, organisation_id: str, start: date, end: date,
          notice_id: str | None, group: str, output: str) -> None:
    """Print an organisation's consent statistics, as GET /api/v1/statistics answers them:
    small counts suppressed (WIDGET_SERVER_STATS_MIN_COUNT) with every count they could be
    worked out from."""
    from widget_server.domain.errors import DomainError

    app = _app(ctx)
    try:
        with db(app).read_session() as session:
            organisations.settings(session, organisation_id)
            report = statistics.statistics(
                session, organisation_id, start, end, notice_id=notice_id, group=group,
                min_count=app.config["STATS_MIN_COUNT"])
    except DomainError as err:
        names = {"to": "--to", "notice_id": "--notice", "group": "--group"}
        named = ", ".join(names.get(field, field) for field in err.fields) or "--org"
        raise click.UsageError(f"{named}: {err.message}") from None
    if output == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(statistics.CSV_COLUMNS)
        writer.writerows(statistics.csv_rows(report))
    else:
        click.echo(json.dumps(report, indent=2))


@cli.command("verify-ledger")
@click.option("--call", "call_id", default=None, help="Check only this call.")
@click.pass_context
def verify_ledger(ctx: click.Context, call_id: str | None) -> None:
    """Check every hash chain and signed checkpoint; exit 1 naming the first bad event."""
    app = _app(ctx)
    public_keys = app.extensions["widget_keys"].ring().public_keys()
    with db(app).read_session() as session:
        verdict = ledger.verify(session, call_id, public_keys)
    if verdict.ok:
        click.echo(f"Ledger intact: {verdict.events} events in {verdict.calls} calls.")
        if verdict.sealed:
            click.echo(f"{verdict.sealed} of these calls are sealed (no personal data left), "
                       "their proof kept and verified.")
        if verdict.closed:
            click.echo(f"{verdict.closed} of these calls are sealed with their proof deleted "
                       "after its retention: each one's closing signed checkpoint verifies.")
        return
    click.echo(f"Ledger ALTERED: call {verdict.call_id}, event seq {verdict.seq}: "
               f"{verdict.problem}.", err=True)
    sys.exit(1)


@cli.command("rotate-signing-key")
def rotate_signing_key() -> None:
    """Sign with a new key from now on; the old public keys stay in the JWKS, so everything
    signed before still verifies."""
    app = create_app({"ASYNC_MODE": "threading"})
    ring = app.extensions["widget_keys"].rotate()
    click.echo(f"Signing key is now {ring.kid}; {len(ring.retired)} earlier public keys "
               "stay listed in /.well-known/jwks.json.")


@cli.command("verify-receipt")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.pass_context
def verify_receipt(ctx: click.Context, path: str) -> None:
    """Check a receipt (a JWS, or the JSON the widget downloads): this server's signature, and
    its ledger event there with the hash it names. Exit 1 naming what fails."""
    app = _app(ctx)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as err:
        click.echo(f"Receipt NOT valid: cannot read {path}: {type(err).__name__}.", err=True)
        sys.exit(1)
    ring = app.extensions["widget_keys"].ring()
    with db(app).read_session() as session:
        verdict = receipts.verify_receipt(session, ring, text)
    if not verdict.ok:
        click.echo(f"Receipt NOT valid: {verdict.problem}.", err=True)
        sys.exit(1)
    assert verdict.payload is not None
    ledger_ref = verdict.payload["ledger"]
    click.echo(f"Receipt valid: {verdict.payload['receipt_id']}, call {verdict.payload['call_id']}"
               f", ledger event seq {ledger_ref['seq']} ({ledger_ref['hash']}).")


@cli.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply migrations."""
    app = create_app({"ASYNC_MODE": "threading"})
    migrate.upgrade(db(app))
    click.echo("Database is at the newest revision.")
