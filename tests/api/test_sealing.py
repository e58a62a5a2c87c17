"""A sealed call, and one whose proof was deleted, as the REST API shows them (CONTRACT §C):
blank title and reference, the seal's time, then only the closing checkpoint; still another
organisation's ids answer 404."""

from datetime import UTC, datetime, timedelta

from flask import Flask

from tests.api.conftest import Api, assert_problem
from tests.services.support import CANARY_NAME, World
from widget_server.services import retention, sealing

DAY = timedelta(days=1)


def sealed_and_closed(app: Flask, api: Api) -> tuple[str, datetime]:
    database = app.extensions["widget_db"]
    call = api.call(title=f"Review with {CANARY_NAME}", external_ref="zq-ref-1")
    world = World(database)
    pid = world.join(call["id"], {"display_name": CANARY_NAME})["participant"]["id"]
    world.decide(call["id"], pid, {"recording": "granted"})
    ended = api.post(f"/api/v1/calls/{call['id']}/end").get_json()
    seal_at = datetime.fromisoformat(ended["ended_at"]) + 365 * DAY
    with database.session() as s:
        retention.purge(s, seal_at)
    with database.session() as s:
        assert sealing.seal(s, seal_at) == 1
    return call["id"], seal_at


def test_a_sealed_call_then_its_closing_checkpoint_through_the_api(app: Flask, api: Api,
                                                                   other: Api) -> None:
    call_id, seal_at = sealed_and_closed(app, api)
    shown = api.get(f"/api/v1/calls/{call_id}").get_json()
    assert (shown["title"], shown["external_ref"]) == ("", None)
    assert datetime.fromisoformat(shown["sealed_at"]) == seal_at
    assert shown["proof_deleted_at"] is None
    labels = [p["label"] for p in api.get(f"/api/v1/calls/{call_id}/participants")
              .get_json()["participants"]]
    assert labels == ["Participant 1"]
    assert len(api.get(f"/api/v1/calls/{call_id}/decisions").get_json()["items"]) == 2

    assert api.client.patch("/api/v1/organisation", headers=api.headers,
                            json={"proof_retention_days": 1}).status_code == 200
    with app.extensions["widget_db"].session() as s:
        report = sealing.delete_proofs(s, app.extensions["widget_keys"].ring(), seal_at + DAY)
    assert report.proofs_deleted == 1
    [closing] = api.get(f"/api/v1/calls/{call_id}/checkpoints").get_json()["items"]
    assert closing["closing"] is True and closing["events"] == 2 and closing["seq"] == 2
    assert api.get(f"/api/v1/calls/{call_id}/decisions").get_json()["items"] == []
    assert api.get(f"/api/v1/calls/{call_id}").get_json()["proof_deleted_at"] is not None
    for path in ("", "/checkpoints", "/decisions", "/participants"):
        assert_problem(other.get(f"/api/v1/calls/{call_id}{path}"), 404)


def test_the_maintenance_pass_ends_overdue_calls_and_seals_through_the_live_path(
        app: Flask, api: Api) -> None:
    from widget_server import serving

    call_id = api.call()["id"]
    database = app.extensions["widget_db"]
    world = World(database)
    world.join(call_id, {"display_name": CANARY_NAME})
    day_ago = datetime.now(UTC) - 25 * timedelta(hours=1)
    world.sql("UPDATE call SET created_at = :t WHERE id = :c", t=day_ago.replace(tzinfo=None),
              c=call_id)
    serving.end_overdue(app)  # through the committer, as the server's loop runs it
    shown = api.get(f"/api/v1/calls/{call_id}").get_json()
    assert shown["status"] == "ended" and shown["sealed_at"] is None
    long_ago = datetime.now(UTC) - 366 * DAY
    world.sql("UPDATE call SET ended_at = :t WHERE id = :c", t=long_ago.replace(tzinfo=None),
              c=call_id)
    with database.session() as s:
        retention.purge(s)
    serving.seal_and_close(app)
    shown = api.get(f"/api/v1/calls/{call_id}").get_json()
    assert shown["sealed_at"] is not None and shown["title"] == ""
    app.extensions["widget_committer"].stop()
