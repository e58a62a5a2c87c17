"""The AsyncAPI 3 document of the Socket.IO namespaces (/api/asyncapi.json, CONTRACT §F): valid
against the AsyncAPI 3.0.0 JSON schema (vendored from npm's @asyncapi/specs by
scripts/vendor.py), and saying what the server does."""

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask

from tests.api.conftest import Api, make_app
from tests.services.support import World

SCHEMA = Path(__file__).parent / "vendored" / "asyncapi-3.0.0.schema.json"
EVENTS = {
    "participant": ({"notice", "join", "decide", "receipt", "send_manage_link"},
                    {"notice_changed", "call_ended"}),
    "host": ({"resync"}, {"roster", "update", "feed", "processors"}),
    "processor": ({"plan", "applied"}, {"plan", "revoked"}),
}


def _document(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/asyncapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return dict(response.get_json())


def _errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)]


def test_the_document_validates_against_the_asyncapi_3_schema(app: Flask) -> None:
    document = _document(app)
    assert document["asyncapi"] == "3.0.0"
    assert _errors(document) == []


@pytest.mark.parametrize("spoil", ["no action", "unknown field", "server without host"])
def test_the_schema_check_would_catch_a_broken_document(app: Flask, spoil: str) -> None:
    document = copy.deepcopy(_document(app))
    if spoil == "no action":
        del document["operations"]["participant.join"]["action"]
    elif spoil == "unknown field":
        document["channels"]["host"]["subscribe"] = {}
    else:
        del document["servers"]["server"]["host"]
    assert _errors(document) != []


def test_every_namespace_and_event_is_described(app: Flask) -> None:
    document = _document(app)
    assert {c["address"] for c in document["channels"].values()} == {
        "/participant", "/host", "/processor"}  # no /phone: dial-in is REST
    for channel, (received, sent) in EVENTS.items():
        operations = {k: v for k, v in document["operations"].items()
                      if v["channel"] == {"$ref": f"#/channels/{channel}"}}
        messages = document["channels"][channel]["messages"]

        def names(action: str, operations: dict[str, Any] = operations,
                  messages: dict[str, Any] = messages) -> set[str]:
            return {messages[m["$ref"].rsplit("/", 1)[1]]["name"]
                    for o in operations.values() if o["action"] == action
                    for m in o["messages"]}

        assert names("receive") == received, channel
        assert names("send") == sent, channel
        # Every client event is acknowledged: its reply is the answer or an error ack.
        for operation in operations.values():
            if operation["action"] == "receive":
                replies = [m["$ref"].rsplit("/", 1)[1] for m in operation["reply"]["messages"]]
                assert "ack_error" in replies and len(replies) == 2
        auth = document["channels"][channel]["x-socketio-auth"]
        assert auth["schema"]["required"] == ["token"] and auth["connect_error_codes"]


def test_payloads_carry_enums_and_the_error_ack(app: Flask) -> None:
    document = _document(app)
    schemas = document["components"]["schemas"]
    decide = document["channels"]["participant"]["messages"]["decide"]["payload"]
    assert set(decide["properties"]["choices"]["additionalProperties"]["enum"]) == {
        "granted", "denied", "withdrawn", "objected", "not_objected"}
    assert decide["required"] == ["event_id", "choices"]
    error = schemas["AckError"]["properties"]
    assert error["ok"] == {"const": False} and error["error"]["required"] == ["code", "message"]
    codes = document["channels"]["participant"]["messages"]["ack_error"]["payload"]["allOf"][1]
    assert {"stale_notice", "not_joined", "commit_failed"} <= set(
        codes["properties"]["error"]["properties"]["code"]["enum"])
    # The roster is the REST schema's, in JSON Schema (null a type, not `nullable`).
    since = schemas["RosterParticipant"]["properties"]["blocking_since"]
    assert "null" in since["type"] and "nullable" not in json.dumps(document)
    assert schemas["GateSummary"]["properties"]["blocking"]["type"] == "integer"


def test_the_roster_example_fits_the_payload_schema(app: Flask) -> None:
    document = _document(app)
    roster = document["components"]["schemas"]["RosterOut"]
    rooted = {**roster, "components": document["components"]}
    jsonschema.Draft7Validator(rooted).validate(roster["examples"][0])


def test_the_server_host_follows_public_url(tmp_path: Path, database_url: str) -> None:
    app = make_app(database_url, tmp_path, PUBLIC_URL="https://consent.example.edu")
    server = _document(app)["servers"]["server"]
    assert server["protocol"] == "wss" and server["pathname"] == "/socket.io"
    assert server["variables"]["host"]["default"] == "consent.example.edu"
    app.extensions["widget_db"].dispose()


def _payload_errors(document: dict[str, Any], channel: str, message: str,
                    instance: Any) -> list[str]:
    payload = document["channels"][channel]["messages"][message]["payload"]
    validator = jsonschema.Draft7Validator({**payload, "components": document["components"]},
                                           format_checker=jsonschema.FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(instance)]


def test_what_the_server_sends_fits_the_documented_payloads(app: Flask, api: Api) -> None:
    """Real answers of the live write path and the roster, checked against the document."""
    document = _document(app)
    call = api.call()
    world = World(app.extensions["widget_db"])
    joined = world.join(call["id"], {"display_name": "Ann"}, language="de")
    person = joined["participant"]["id"]
    decided = world.decide(call["id"], person, {"recording": "granted", "attendance": "objected"})
    world.join(call["id"], {"display_name": "Bob"})
    checks = [
        ("participant", "join_ack", {"ok": True, **_without_update(joined)}),
        ("participant", "decide_ack", {"ok": True, **_without_update(decided)}),
        ("host", "update", joined["update"]),
        ("host", "update", [joined["update"], decided["update"]]),
        ("host", "roster", world.roster(call["id"])),
        ("host", "resync_ack", {"ok": True, **world.updates_since(call["id"], 0)}),
        ("host", "resync_ack", {"ok": True, **world.updates_since(call["id"], 99)}),
        ("participant", "ack_error", {"ok": False, "error": {
            "code": "stale_notice", "message": "The notice changed."}}),
    ]
    for channel, message, instance in checks:
        assert _payload_errors(document, channel, message, instance) == [], message
    # And the check bites: a list where the count belongs is refused.
    wrong = {**world.roster(call["id"])}
    wrong["gate"] = {**wrong["gate"], "blocking": [person]}
    assert _payload_errors(document, "host", "roster", wrong) != []


def _without_update(outcome: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in outcome.items() if k != "update"}
