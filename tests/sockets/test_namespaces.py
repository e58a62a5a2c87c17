"""The namespaces in-process, in threading mode, through Flask-SocketIO's test client."""

import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from widget_server.domain.models import Base
from widget_server.realtime import socketio


def participant(app: Flask, call: dict[str, Any]) -> Any:
    client = socketio.test_client(app, namespace="/participant",
                                  auth={"token": call["widget_token"]})
    assert client.is_connected("/participant")
    return client


def emit(client: Any, event: str, data: Any, namespace: str = "/participant") -> Any:
    return client.emit(event, data, namespace=namespace, callback=True)


def join(client: Any, fields: Any = None, language: str = "en", **extra: Any) -> Any:
    """As the widget joins: read the notice first, then say which one was shown."""
    shown = emit(client, "notice", {"language": language})
    assert shown["ok"], shown
    return emit(client, "join", {"fields": fields, "language": language,
                                 "seen": {"notice_hash": shown["notice"]["content_hash"]},
                                 **extra})


def test_deciding_before_joining_is_refused(app: Flask, call: dict[str, Any]) -> None:
    client = participant(app, call)
    answer = emit(client, "decide", {"event_id": str(uuid.uuid4()),
                                     "choices": {"recording": "granted"}})
    assert answer["ok"] is False and answer["error"]["code"] == "not_joined"


def test_joining_twice_on_one_connection_is_refused(app: Flask, call: dict[str, Any]) -> None:
    client = participant(app, call)
    assert join(client, {"display_name": "A"})["ok"]
    answer = join(client, {"display_name": "A"})
    assert answer["error"]["code"] == "already_joined"


@pytest.mark.parametrize("payload", [None, [], "join", 42])
def test_a_payload_that_is_not_an_object_is_refused(app: Flask, call: dict[str, Any],
                                                    payload: Any) -> None:
    answer = emit(participant(app, call), "join", payload)
    assert answer["ok"] is False and answer["error"]["code"] == "validation_failed"


def test_a_refused_join_names_the_field_and_the_code(app: Flask, call: dict[str, Any]) -> None:
    answer = join(participant(app, call), {"display_name": "A", "email": "a@example.org"})
    assert answer["error"]["code"] == "unexpected_field"
    assert "email" in answer["error"]["fields"]
    missing = join(participant(app, call), {})
    assert missing["error"]["code"] == "missing_field"
    assert "display_name" in missing["error"]["fields"]


def test_a_decision_is_acknowledged_with_state_and_receipt(app: Flask, call: dict[str, Any]
                                                          ) -> None:
    client = participant(app, call)
    joined = join(client, {"display_name": "A"}, "de")
    assert joined["notice"]["language"] == "de"
    assert joined["held"] == ["display_name"]
    assert joined["notice"]["purposes"][0]["title"] == "Diese Sitzung aufzeichnen"
    answer = emit(client, "decide", {"event_id": str(uuid.uuid4()),
                                     "choices": {"recording": "granted"}})
    assert answer["ok"] and answer["state"]["recording"] == "granted"
    # seq 1 is the join's notice_served event
    assert answer["receipt"]["seq"] == 2 and answer["receipt"]["hash"].startswith("sha256:")
    wrong = emit(client, "decide", {"event_id": str(uuid.uuid4()),
                                    "choices": {"service": "granted"}})
    assert wrong["error"]["code"] == "invalid_state"


def test_a_host_gets_the_roster_and_resyncs(app: Flask, call: dict[str, Any]) -> None:
    host = socketio.test_client(app, namespace="/host", auth={"token": call["host_token"]})
    client = participant(app, call)
    join(client, {"display_name": "A"})
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


def test_the_notice_can_be_read_before_joining_and_stores_nothing(
        app: Flask, call: dict[str, Any]) -> None:
    before = _rows(app)
    shown = emit(participant(app, call), "notice", {"language": "de"})
    assert shown["ok"] and shown["notice"]["language"] == "de"
    assert shown["languages"] == ["de", "en"]
    assert shown["join_fields"] == ["display_name"]
    assert shown["notice"]["controller"]["name"] == "Example University"
    grants = {p["key"]: p["grant_fields"] for p in shown["notice"]["purposes"]}
    assert grants == {"recording": [], "notes_email": ["email"], "attendance": [],
                      "service": []}
    assert shown["notice"]["content_hash"] == call["notice"]["content_hash"]
    assert emit(participant(app, call), "notice", None)["notice"]["language"] == "en"
    assert _rows(app) == before


def test_a_join_naming_another_notice_is_stale_and_stores_nothing(
        app: Flask, call: dict[str, Any]) -> None:
    before = _rows(app)
    client = participant(app, call)
    stale = emit(client, "join", {"fields": {"display_name": "A"},
                                  "seen": {"notice_hash": "sha256:" + "1" * 64}})
    assert stale["error"]["code"] == "stale_notice"
    unsaid = emit(client, "join", {"fields": {"display_name": "A"}})
    assert unsaid["error"]["code"] == "validation_failed" and "seen" in unsaid["error"]["fields"]
    assert _rows(app) == before


POISON = {"surrogate": "a\ud800b", "nul": "a\x00b", "huge": "x" * 1_000_000}


@pytest.mark.parametrize("kind", sorted(POISON))
@pytest.mark.parametrize("where", ["display_name", "language", "seen", "event_id", "email",
                                   "choice_key", "choice_state"])
def test_a_value_no_database_can_store_is_refused_alone_naming_its_field(
        app: Flask, call: dict[str, Any], kind: str, where: str) -> None:
    """Checked at the edge, on SQLite and PostgreSQL alike, before it can reach a shared
    batch: refused on its own with validation_failed naming the field; nothing stored."""
    bad = POISON[kind]
    client = participant(app, call)
    if where in ("display_name", "language", "seen"):
        before = _rows(app)
        data = {"fields": {"display_name": "Ada"}, "language": "en",
                "seen": {"notice_hash": call["notice"]["content_hash"]}}
        if where == "display_name":
            data["fields"]["display_name"] = bad
        elif where == "language":
            data["language"] = bad
        else:
            data["seen"]["notice_hash"] = bad
        answer = emit(client, "join", data)
        named = {"display_name": "display_name", "language": "language",
                 "seen": "seen.notice_hash"}[where]
    else:
        assert join(client, {"display_name": "Ada"})["ok"]
        before = _rows(app)
        data = {"event_id": str(uuid.uuid4()), "choices": {"notes_email": "granted"},
                "fields": {"email": "ada@example.org"}}
        if where == "event_id":
            data["event_id"] = bad
        elif where == "email":
            data["fields"]["email"] = bad
        elif where == "choice_key":
            data["choices"] = {bad: "granted"}
        else:
            data["choices"] = {"notes_email": bad}
        answer = emit(client, "decide", data)
        named = {"event_id": "event_id", "email": "email", "choice_key": "choices",
                 "choice_state": "notes_email"}[where]
    assert answer["ok"] is False and answer["error"]["code"] == "validation_failed", answer
    assert list(answer["error"]["fields"]) == [named]
    assert _rows(app) == before


def _rows(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    with app.extensions["widget_db"].read_session() as s:
        return {table.name: [tuple(r) for r in s.execute(
                    select(table).order_by(*table.primary_key.columns)).all()]
                for table in Base.metadata.sorted_tables}
