"""POST /api/v1/calls/{id}/notice (issue 11, item 4): a running call moves to a later version
of its own notice; participants are asked again, hosts see it."""

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import Api, assert_problem, make_app
from tests.services.test_notice_change import second_version
from tests.sockets.test_namespaces import emit, join
from widget_server.realtime import socketio


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The API's app, whose live committer (started by the sockets here) is stopped before
    its database goes away."""
    application = make_app(database_url, tmp_path)
    yield application
    application.extensions["widget_committer"].stop()
    application.extensions["widget_db"].dispose()


def connected(app: Flask, call: dict[str, Any]) -> tuple[Any, Any]:
    person = socketio.test_client(app, namespace="/participant",
                                  auth={"token": call["widget"]["token"]})
    host = socketio.test_client(app, namespace="/host", auth={"token": call["host"]["token"]})
    assert person.is_connected("/participant") and host.is_connected("/host")
    return person, host


def test_a_notice_change_reaches_participants_hosts_and_later_joins(app: Flask, api: Api
                                                                   ) -> None:
    notice = api.notice()
    call = api.call(notice["id"])
    person, host = connected(app, call)
    try:
        joined = join(person, {"display_name": "Ada"})
        granted = emit(person, "decide", {"event_id": str(uuid.uuid4()),
                                          "choices": {"recording": "granted"}})
        assert granted["ok"], granted
        host.get_received("/host")
        person.get_received("/participant")
        v2 = api.post(f"/api/v1/notices/{notice['id']}/versions", second_version()).get_json()

        response = api.post(f"/api/v1/calls/{call['id']}/notice", {"version": 2})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["notice"] == {"id": notice["id"], "version": 2,
                                  "content_hash": v2["content_hash"]}
        assert body["gate"] == {"recording_allowed": False, "blocking": 1}

        [told] = [m["args"][0] for m in person.get_received("/participant")
                  if m["name"] == "notice_changed"]
        assert told == {"call_id": call["id"],
                        "notice": {"id": notice["id"], "version": 2,
                                   "content_hash": v2["content_hash"]},
                        "asked_again": ["recording", "transcript"],
                        "dropped": ["notes_email"],
                        "states": {"recording": "pending", "transcript": "pending"}}
        received = host.get_received("/host")
        assert [m["name"] for m in received] == ["update", "roster"]
        update, roster = received[0]["args"][0], received[1]["args"][0]
        assert update["kind"] == "notice_changed" and update["notice"]["version"] == 2
        assert roster["seq"] == update["seq"]
        assert [p["key"] for p in roster["call"]["purposes"]] == [
            "recording", "attendance", "service", "transcript"]
        assert roster["participants"][0]["state"]["recording"] == "pending"

        # The widget re-reads the notice: the new version, with its own states and fields.
        shown = emit(person, "notice", {"language": "en"})
        assert shown["notice"]["version"] == 2
        assert shown["state"]["transcript"] == "pending" and shown["held"] == ["display_name"]
        stale = emit(person, "decide", {"event_id": str(uuid.uuid4()),
                                        "choices": {"transcript": "granted"},
                                        "seen": {"notice_hash": joined["notice"]["content_hash"]}})
        assert stale["error"]["code"] == "stale_notice"
        fresh = emit(person, "decide", {"event_id": str(uuid.uuid4()),
                                        "choices": {"transcript": "granted",
                                                    "recording": "granted"},
                                        "seen": {"notice_hash": v2["content_hash"]}})
        assert fresh["ok"] and fresh["state"]["transcript"] == "granted"

        late = socketio.test_client(app, namespace="/participant",
                                    auth={"token": call["widget"]["token"]})
        refused = emit(late, "join", {"fields": {"display_name": "Late"},
                                      "seen": {"notice_hash": notice["content_hash"]}})
        assert refused["error"]["code"] == "stale_notice"
        assert join(late, {"display_name": "Late"})["ok"]
        late.disconnect("/participant")

        items = api.get(f"/api/v1/calls/{call['id']}/decisions").get_json()["items"]
        assert {i["notice_version"] for i in items} == {1, 2}
    finally:
        for client, namespace in ((person, "/participant"), (host, "/host")):
            if client.is_connected(namespace):
                client.disconnect(namespace)
        # The leaves are committed in the background: let them land before teardown.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and api.get(
                f"/api/v1/calls/{call['id']}").get_json()["summary"]["present"]:
            time.sleep(0.05)


@pytest.mark.parametrize(("body", "field"), [
    ({}, "version"), ({"version": "2"}, "version"), ({"version": True}, "version"),
    ({"version": 0}, "version"), ({"version": 2.5}, "version"),
    ({"version": 2, "extra": 1}, "extra"), ({"version": 2, "notice_id": "no such!"}, "notice_id"),
])
def test_a_malformed_change_is_422_naming_the_field(api: Api, body: dict[str, Any], field: str
                                                   ) -> None:
    call = api.call()
    problem = assert_problem(api.post(f"/api/v1/calls/{call['id']}/notice", body), 422)
    assert field in problem["errors"]


def test_refused_changes_name_why(api: Api, other: Api) -> None:
    notice = api.notice()
    call = api.call(notice["id"])
    path = f"/api/v1/calls/{call['id']}/notice"
    same = assert_problem(api.post(path, {"version": 1}), 422)
    assert "version" in same["errors"] and "later" in same["detail"]
    unknown = assert_problem(api.post(path, {"version": 5}), 422)
    assert "no version 5" in unknown["detail"]
    another = api.notice()
    api.post(f"/api/v1/notices/{notice['id']}/versions", second_version())
    foreign = assert_problem(api.post(path, {"version": 2, "notice_id": another["id"]}), 422)
    assert "notice_id" in foreign["errors"]
    assert_problem(other.post(path, {"version": 2}), 404)
    assert api.get(f"/api/v1/calls/{call['id']}").get_json()["notice"]["version"] == 1
    assert api.post(f"/api/v1/calls/{call['id']}/end").status_code == 200
    ended = assert_problem(api.post(path, {"version": 2}), 409)
    assert ended["code"] == "call_ended"
