"""The OpenAPI document and the health endpoints."""

from typing import Any

from flask import Flask

from tests.api.conftest import Api

ENDPOINTS = {
    "/api/v1/notices": {"get", "post"},
    "/api/v1/notices/{notice_id}": {"get"},
    "/api/v1/notices/{notice_id}/versions": {"post"},
    "/api/v1/calls": {"get", "post"},
    "/api/v1/calls/{call_id}": {"get"},
    "/api/v1/calls/{call_id}/end": {"post"},
    "/api/v1/calls/{call_id}/gate": {"get"},
    "/api/v1/calls/{call_id}/participants": {"get"},
    "/api/v1/calls/{call_id}/decisions": {"get"},
    "/api/v1/calls/{call_id}/participants/{participant_id}": {"get"},
    "/api/v1/calls/{call_id}/participants/{participant_id}/decisions": {"post"},
    "/api/v1/calls/{call_id}/participants/{participant_id}/data": {"delete"},
    "/api/v1/organisation": {"get", "patch"},
    "/api/v1/webhooks": {"get", "post"},
    "/api/v1/webhooks/{webhook_id}": {"get", "delete"},
    "/api/v1/webhooks/{webhook_id}/deliveries": {"get"},
    "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry": {"post"},
}
# The participant's own surface (CONTRACT §C): the manage secret, never an API key.
PARTICIPANT_ENDPOINTS = {
    "/api/v1/me": {"get", "delete"},
    "/api/v1/me/export": {"get"},
    "/api/v1/me/receipts/{receipt_id}": {"get"},
    "/api/v1/me/decisions": {"post"},
}
SCHEMAS = {"NoticeIn", "NoticeOut", "PurposeIn", "CallIn", "CallOut", "CallCreated",
           "CallDetail", "GateOut", "RosterOut", "DecisionOut", "DecisionsPage", "Problem",
           "ParticipantDataOut", "DecisionIn", "DecisionResult", "ErasureOut",
           "OrganisationOut", "OrganisationPatch", "WebhookIn", "WebhookOut", "WebhookCreated",
           "DeliveryOut"}


def _spec(api: Api) -> dict[str, Any]:
    response = api.client.get("/api/openapi.json")
    assert response.status_code == 200
    return dict(response.get_json())


def test_the_document_is_valid_openapi_3(api: Api) -> None:
    spec = _spec(api)
    assert spec["openapi"].startswith("3.")
    from openapi_spec_validator import validate  # a test dependency (pyproject's test extra)

    validate(spec)


def test_every_endpoint_is_documented_with_bearer_auth(api: Api) -> None:
    spec = _spec(api)
    for path, methods in ENDPOINTS.items():
        assert path in spec["paths"], path
        operations = {m for m in spec["paths"][path] if m != "parameters"}
        assert operations == methods, path
        for method in methods:
            operation = spec["paths"][path][method]
            assert operation["security"] == [{"bearer": []}]
            problem = operation["responses"]["401"]["content"]["application/problem+json"]
            assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_participant_endpoints_are_documented_with_the_manage_secret(api: Api) -> None:
    spec = _spec(api)
    for path, methods in PARTICIPANT_ENDPOINTS.items():
        assert path in spec["paths"], path
        assert {m for m in spec["paths"][path] if m != "parameters"} == methods, path
        for method in methods:
            operation = spec["paths"][path][method]
            assert operation["security"] == [{"participant": []}]
            assert {"400", "401"} <= set(operation["responses"])
    scheme = spec["components"]["securitySchemes"]["participant"]
    assert scheme["scheme"] == "participant" and "<participant id>.<secret>" in scheme[
        "description"]
    data = spec["components"]["schemas"]["ParticipantDataOut"]
    assert set(data["properties"]) == {"participant", "call", "notice", "state", "fields",
                                       "events", "receipts", "rights"}
    assert set(spec["components"]["schemas"]["DecisionIn"]["properties"]) == {
        "event_id", "choices", "fields", "seen"}
    export = spec["paths"]["/api/v1/me/export"]["get"]["responses"]["200"]
    assert "Content-Disposition" in export["headers"]


def test_schemas_come_from_the_marshmallow_schemas(api: Api) -> None:
    spec = _spec(api)
    schemas = spec["components"]["schemas"]
    assert set(schemas) >= SCHEMAS
    notice_in = schemas["NoticeIn"]
    assert set(notice_in["required"]) == {"name", "controller", "privacy_policy_url",
                                          "default_language", "purposes"}
    assert notice_in["additionalProperties"] is False  # unknown fields are refused
    assert schemas["PurposeIn"]["properties"]["retention_days"]["maximum"] == 3650
    # a join's notice_served ledger event has no purpose
    assert schemas["DecisionOut"]["properties"]["purpose"].get("nullable") is True
    roster_participant = schemas["RosterParticipant"]
    assert {"blocking", "blocking_since"} <= set(roster_participant["required"])
    assert roster_participant["properties"]["blocking_since"].get("nullable") is True
    assert set(schemas["CallCreated"]["properties"]) >= {"widget", "host", "notice"}
    assert "widget" not in schemas["CallDetail"]["properties"]
    assert set(schemas["CallDetail"]["properties"]) >= {"summary", "gate"}
    body = spec["paths"]["/api/v1/notices"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NoticeIn"}
    created = spec["paths"]["/api/v1/calls"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CallCreated"}
    decisions = spec["paths"]["/api/v1/calls/{call_id}/decisions"]["get"]
    assert {p["name"] for p in decisions["parameters"]} == {"after", "limit", "format"}
    assert set(decisions["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    settings = schemas["OrganisationPatch"]
    assert settings["additionalProperties"] is False and settings["required"] == [
        "proof_retention_days"]
    assert (settings["properties"]["proof_retention_days"]["minimum"],
            settings["properties"]["proof_retention_days"]["maximum"]) == (1, 3650)
    patch = spec["paths"]["/api/v1/organisation"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrganisationPatch"}
    assert {"sealed_at", "proof_deleted_at"} <= set(schemas["CallOut"]["properties"])
    assert {"closing", "events"} <= set(schemas["CheckpointOut"]["properties"])


def test_health_and_readiness(app: Flask) -> None:
    client = app.test_client()
    live = client.get("/healthz")
    assert live.status_code == 200 and live.get_json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ok", "database": "ok"}
