"""The namespaces in-process, in threading mode, through Flask-SocketIO's test client."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import SECRET, lecture_notice
from widget_server import create_app
from widget_server.domain.models import Base
from widget_server.realtime import socketio
from widget_server.services import calls, notices, organisations


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET,
                              "ASYNC_MODE": "threading", "INSTANCE_PATH": str(tmp_path)})
    Base.metadata.create_all(application.extensions["widget_db"].engine)
    yield application
    application.extensions["widget_db"].dispose()


@pytest.fixture
def call(app: Flask) -> dict[str, Any]:
    db = app.extensions["widget_db"]
    with db.session() as s:
        org, _ = organisations.create_organisation(s, "Org", ["https://meet.example.org"])
    with db.session() as s:
        notice = notices.publish_notice(s, org, lecture_notice())
    with db.session() as s:
        return calls.open_call(s, org, SECRET, title="T", notice_id=notice["id"])


def participant(app: Flask, call: dict[str, Any]) -> Any:
    client = socketio.test_client(app, namespace="/participant",
                                  auth={"token": call["widget_token"]})
    assert client.is_connected("/participant")
    return client


def emit(client: Any, event: str, data: Any, namespace: str = "/participant") -> Any:
    return client.emit(event, data, namespace=namespace, callback=True)


def test_deciding_before_joining_is_refused(app: Flask, call: dict[str, Any]) -> None:
    client = participant(app, call)
    answer = emit(client, "decide", {"event_id": "e", "choices": {"recording": "granted"}})
    assert answer["ok"] is False and answer["error"]["code"] == "not_joined"


def test_joining_twice_on_one_connection_is_refused(app: Flask, call: dict[str, Any]) -> None:
    client = participant(app, call)
    assert emit(client, "join", {"fields": {"display_name": "A"}})["ok"]
    answer = emit(client, "join", {"fields": {"display_name": "A"}})
    assert answer["error"]["code"] == "already_joined"


@pytest.mark.parametrize("payload", [None, [], "join", 42])
def test_a_payload_that_is_not_an_object_is_refused(app: Flask, call: dict[str, Any],
                                                    payload: Any) -> None:
    answer = emit(participant(app, call), "join", payload)
    assert answer["ok"] is False and answer["error"]["code"] == "validation_failed"


def test_a_refused_join_names_the_field_and_the_code(app: Flask, call: dict[str, Any]) -> None:
    answer = emit(participant(app, call), "join",
                  {"fields": {"display_name": "A", "email": "a@example.org"}})
    assert answer["error"]["code"] == "unexpected_field"
    assert "email" in answer["error"]["fields"]
    missing = emit(participant(app, call), "join", {"fields": {}})
    assert missing["error"]["code"] == "missing_field"
    assert "display_name" in missing["error"]["fields"]


def test_a_decision_is_acknowledged_with_state_and_receipt(app: Flask, call: dict[str, Any]
                                                          ) -> None:
    client = participant(app, call)
    joined = emit(client, "join", {"fields": {"display_name": "A"}, "language": "de"})
    assert joined["notice"]["language"] == "de"
    assert joined["notice"]["purposes"][0]["title"] == "Diese Sitzung aufzeichnen"
    answer = emit(client, "decide", {"event_id": str(uuid.uuid4()),
                                     "choices": {"recording": "granted"}})
    assert answer["ok"] and answer["state"]["recording"] == "granted"
    assert answer["receipt"]["seq"] == 1 and answer["receipt"]["hash"].startswith("sha256:")
    wrong = emit(client, "decide", {"event_id": str(uuid.uuid4()),
                                    "choices": {"service": "granted"}})
    assert wrong["error"]["code"] == "invalid_state"


def test_a_host_gets_the_roster_and_resyncs(app: Flask, call: dict[str, Any]) -> None:
    host = socketio.test_client(app, namespace="/host", auth={"token": call["host_token"]})
    client = participant(app, call)
    emit(client, "join", {"fields": {"display_name": "A"}})
    received = host.get_received("/host")
    assert received[0]["name"] == "roster"
    answer = emit(host, "resync", {"since": 0}, namespace="/host")
    assert [u["kind"] for u in answer["updates"]] == ["joined"]
    assert emit(host, "resync", {"since": "x"}, namespace="/host")["error"]["code"] == (
        "validation_failed")


def test_a_host_token_cannot_emit_as_a_participant(app: Flask, call: dict[str, Any]) -> None:
    client = socketio.test_client(app, namespace="/participant",
                                  auth={"token": call["host_token"]})
    assert not client.is_connected("/participant")
