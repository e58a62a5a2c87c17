"""The OpenAPI document and the health endpoints."""

import json
from collections.abc import Iterator
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
    "/api/v1/statistics": {"get"},
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
# The call's phone bridge (CONTRACT §E): a telephony grant token, never an API key.
PHONE_ENDPOINTS = {
    "/api/v1/phone/participants": {"post"},
    "/api/v1/phone/participants/{participant_id}": {"delete"},
    "/api/v1/phone/participants/{participant_id}/script": {"get"},
    "/api/v1/phone/participants/{participant_id}/keys": {"post"},
}
SCHEMAS = {"NoticeIn", "NoticeOut", "PurposeIn", "CallIn", "CallOut", "CallCreated",
           "CallDetail", "GateOut", "RosterOut", "DecisionOut", "DecisionsPage", "Problem",
           "ParticipantDataOut", "DecisionIn", "DecisionResult", "ErasureOut",
           "OrganisationOut", "OrganisationPatch", "StatisticsOut", "WebhookIn", "WebhookOut",
           "WebhookCreated", "DeliveryOut"}


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


def test_the_phone_endpoints_are_documented_with_the_telephony_token(api: Api) -> None:
    spec = _spec(api)
    for path, methods in PHONE_ENDPOINTS.items():
        assert path in spec["paths"], path
        assert {m for m in spec["paths"][path] if m != "parameters"} == methods, path
        for method in methods:
            operation = spec["paths"][path][method]
            assert operation["security"] == [{"telephony": []}]
            assert {"401", "422"} <= set(operation["responses"])
    script = spec["paths"]["/api/v1/phone/participants/{participant_id}/script"]["get"]
    assert set(script["responses"]["200"]["content"]) == {"application/json", "text/xml"}
    assert {"CallerIn", "CallerOut", "ScriptOut", "KeysIn", "KeysOut"} <= set(
        spec["components"]["schemas"])
    assert spec["components"]["securitySchemes"]["telephony"]["scheme"] == "bearer"


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
    stats = spec["paths"]["/api/v1/statistics"]["get"]
    assert {p["name"] for p in stats["parameters"]} == {"from", "to", "notice_id", "group",
                                                       "format"}
    assert set(stats["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert schemas["Figure"]["properties"]["count"].get("nullable") is True


def test_health_and_readiness(app: Flask) -> None:
    client = app.test_client()
    live = client.get("/healthz")
    assert live.status_code == 200 and live.get_json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ok", "database": "ok"}


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def test_every_operation_lists_every_error_status_it_can_answer(api: Api) -> None:
    spec = _spec(api)
    for path, method, operation in _operations(spec):
        statuses = {int(s) for s in operation["responses"] if s.isdigit() and int(s) >= 400}
        expected = {422, 429, 500}
        if operation.get("security"):
            expected.add(401)
        if "{" in path:
            expected.add(404)
        if "requestBody" in operation:
            expected |= {400, 413}
        assert expected <= statuses, (method, path, sorted(expected - statuses))
        for status in statuses:
            content = operation["responses"][str(status)]["content"]
            assert set(content) == {"application/problem+json"}, (method, path, status)
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"}
            assert content["application/problem+json"]["example"]["status"] == status
    # Where a view says more than the generic rule, it is kept.
    notice_change = spec["paths"]["/api/v1/calls/{call_id}/notice"]["post"]["responses"]
    assert "409" in notice_change
    me = spec["paths"]["/api/v1/me"]["get"]["responses"]
    assert "manage secret" in me["401"]["description"]
    assert "Authorization: Participant" in me["401"]["content"]["application/problem+json"][
        "example"]["detail"]


def test_errors_are_documented_in_the_problem_format_the_server_sends(api: Api,
                                                                      anonymous: Api) -> None:
    spec = _spec(api)
    schemas = spec["components"]["schemas"]
    assert "Error" not in schemas  # flask-smorest's own shape, which the server never sends
    assert "#/components/schemas/Error" not in json.dumps(spec)
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    real = [anonymous.get("/api/v1/calls"), api.get("/api/v1/calls/call_nothing"),
            api.post("/api/v1/calls", {"title": 1})]
    examples = spec["paths"]["/api/v1/calls/{call_id}"]["get"]["responses"]
    created = spec["paths"]["/api/v1/calls"]["post"]["responses"]
    for answer in real:
        assert answer.mimetype == "application/problem+json"
        body = answer.get_json()
        documented = (examples if str(answer.status_code) in examples else created)[
            str(answer.status_code)]["content"]["application/problem+json"]["example"]
        assert set(body) == set(documented), answer.status_code
        _validate(spec, body, problem)


def test_closed_sets_are_enums(api: Api) -> None:
    schemas = _spec(api)["components"]["schemas"]
    purpose = schemas["PurposeIn"]["properties"]
    assert purpose["lawful_basis"]["enum"] == [
        "consent", "contract", "legal_obligation", "vital_interests", "public_task",
        "legitimate_interests"]
    assert purpose["data"]["items"]["enum"] == ["display_name", "email", "phone"]
    decision = schemas["DecisionOut"]["properties"]
    assert {"granted", "objected", "informed", "notice_served", "erased"} <= set(
        decision["state"]["enum"])
    assert set(decision["channel"]["enum"]) == {"widget", "api", "manage", "server"}
    assert set(schemas["DecisionIn"]["properties"]["choices"]["additionalProperties"][
        "enum"]) == {"granted", "denied", "withdrawn", "objected", "not_objected"}
    participant = schemas["RosterParticipant"]["properties"]
    assert participant["channel"]["enum"] == ["widget", "api"]
    assert "pending" in participant["state"]["additionalProperties"]["enum"]
    assert schemas["RosterPurpose"]["properties"]["lawful_basis"]["enum"][0] == "consent"
    assert schemas["CallOut"]["properties"]["status"]["enum"] == ["open", "ended"]
    assert schemas["Recipient"]["properties"]["role"]["enum"] == [
        "processor", "controller", "public_authority"]


def test_every_example_fits_its_schema(api: Api) -> None:
    spec = _spec(api)
    with_examples = {name: schema for name, schema in spec["components"]["schemas"].items()
                     if "example" in schema}
    assert {"NoticeIn", "NoticeOut", "CallIn", "CallCreated", "CallDetail", "GateOut",
            "RosterOut", "DecisionsPage", "DecisionIn", "DecisionResult", "ErasureOut",
            "OrganisationPatch"} <= set(with_examples)
    for name, schema in with_examples.items():
        _validate(spec, schema["example"], schema, name)
    for path, method, operation in _operations(spec):
        for status, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                if "example" in media:
                    _validate(spec, media["example"], media["schema"], f"{method} {path} {status}")


def test_the_gate_has_one_shape_for_blocking(api: Api) -> None:
    schemas = _spec(api)["components"]["schemas"]
    assert schemas["GateOut"]["properties"]["blocking"]["type"] == "integer"
    assert schemas["GateSummary"]["properties"]["blocking"]["type"] == "integer"
    assert schemas["GateOut"]["properties"]["blocking_participants"]["type"] == "array"


def _validate(spec: dict[str, Any], instance: Any, schema: dict[str, Any],
              where: str = "") -> None:
    """Validate against an OpenAPI 3.0 schema whose $refs point into the document."""
    from openapi_schema_validator import OAS30Validator

    rooted = {**schema, "components": spec["components"]}
    errors = [e.message for e in OAS30Validator(rooted).iter_errors(instance)]
    assert not errors, (where, errors[:3])
