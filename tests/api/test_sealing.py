"""A sealed call, and one whose proof was deleted, as the REST API shows them (CONTRACT §C):
blank title and reference, the seal's time, then only the closing checkpoint; still another
organisation's ids answer 404."""

from datetime import datetime, timedelta

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
