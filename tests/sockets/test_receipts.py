"""The `receipt` event (CONTRACT §B): a signed receipt for the connection's own participant."""

import uuid
from typing import Any

from flask import Flask

from tests.services.test_receipts import jose_verify
from tests.sockets.test_namespaces import emit, join, participant


def decided(app: Flask, call: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    client = participant(app, call)
    assert join(client, {"display_name": "A"})["ok"]
    answer = emit(client, "decide", {"event_id": str(uuid.uuid4()),
                                     "choices": {"recording": "granted"}})
    assert answer["ok"], answer
    return client, answer


def test_a_participant_gets_a_signed_receipt_of_their_decision(app: Flask, call: dict[str, Any]
                                                              ) -> None:
    client, answer = decided(app, call)
    signed = emit(client, "receipt", {"id": answer["receipt"]["id"]})
    assert signed["ok"] is True and set(signed) == {"ok", "jws"}
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    payload = jose_verify(signed["jws"], jwks)
    assert payload["receipt_id"] == answer["receipt"]["id"]
    assert payload["ledger"] == {"seq": answer["receipt"]["seq"],
                                 "hash": answer["receipt"]["hash"]}
    # No PUBLIC_URL: the base the client reached the server at; never a secret in it.
    assert payload["manage_url"].endswith(f"/manage/{payload['participant_id']}")
    assert payload["manage_url"].startswith("http")


def test_the_manage_url_starts_with_public_url_when_set(app: Flask, call: dict[str, Any]) -> None:
    app.config["PUBLIC_URL"] = "https://consent.example.org/"
    client, answer = decided(app, call)
    signed = emit(client, "receipt", {"id": answer["receipt"]["id"]})
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    payload = jose_verify(signed["jws"], jwks)
    assert payload["manage_url"] == (
        f"https://consent.example.org/manage/{payload['participant_id']}")


def test_another_participants_receipt_is_not_found(app: Flask, call: dict[str, Any]) -> None:
    _, answer = decided(app, call)
    other = participant(app, call)
    assert join(other, {"display_name": "B"})["ok"]
    refused = emit(other, "receipt", {"id": answer["receipt"]["id"]})
    assert refused["ok"] is False and refused["error"]["code"] == "not_found"
    assert "jws" not in refused


def test_a_receipt_before_joining_or_without_an_id_is_refused(app: Flask, call: dict[str, Any]
                                                              ) -> None:
    client = participant(app, call)
    refused = emit(client, "receipt", {"id": "rcpt_x"})
    assert refused["error"]["code"] == "not_joined"
    assert join(client, {"display_name": "A"})["ok"]
    for bad in ({}, {"id": 5}, {"id": "x" * 65}, {"id": "rcpt_\x00"}):
        refused = emit(client, "receipt", bad)
        assert refused["error"]["code"] == "validation_failed"
        assert "id" in refused["error"]["fields"]
