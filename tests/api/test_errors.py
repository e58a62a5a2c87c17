"""Refusals: every one is problem+json with the right status, names the place, stores nothing."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import PROBLEM, Api, assert_problem
from tests.conftest import lecture_notice

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    def edit(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return edit


def _drop_german_from_notes(body: dict[str, Any]) -> None:
    del body["purposes"][1]["text"]["de"]


def _duplicate_key(body: dict[str, Any]) -> None:
    body["purposes"][2]["key"] = "recording"


def _remove_default_language(body: dict[str, Any]) -> None:
    body["default_language"] = "fr"


# Domain rules: each names its place with a dotted path.
DOMAIN_CASES = [
    ("missing translation", _drop_german_from_notes, "purposes.1.text"),
    ("unknown lawful basis", _set("purposes.0.lawful_basis", "because"),
     "purposes.0.lawful_basis"),
    ("unknown data category", _set("purposes.3.data", ["shoe_size"]), "purposes.3.data"),
    ("duplicate purpose key", _duplicate_key, "purposes.2.key"),
    ("default language without texts", _remove_default_language, "default_language"),
]


@pytest.mark.parametrize(("case", "edit", "place"), DOMAIN_CASES,
                         ids=[c[0] for c in DOMAIN_CASES])
def test_an_invalid_notice_names_the_place_and_stores_nothing(
        api: Api, case: str, edit: Edit, place: str) -> None:
    body = lecture_notice()
    edit(body)
    problem = assert_problem(api.post("/api/v1/notices", body), 422)
    assert place in problem["errors"], problem
    assert problem["errors"][place] and all(isinstance(m, str) for m in problem["errors"][place])
    assert api.get("/api/v1/notices").get_json() == []


def test_an_invalid_next_version_stores_nothing(api: Api) -> None:
    notice = api.notice()
    body = lecture_notice()
    _drop_german_from_notes(body)
    problem = assert_problem(api.post(f"/api/v1/notices/{notice['id']}/versions", body), 422)
    assert "purposes.1.text" in problem["errors"]
    assert api.get(f"/api/v1/notices/{notice['id']}").get_json()["version"] == 1


# Schema rules: types, lengths, formats. Marshmallow nests its messages.
SCHEMA_CASES = [
    ("retention as text", _set("purposes.0.retention_days", "30"), ["purposes", "0",
                                                                    "retention_days"]),
    ("retention out of range", _set("purposes.0.retention_days", 0), ["purposes", "0",
                                                                      "retention_days"]),
    ("retention as bool", _set("purposes.0.retention_days", True), ["purposes", "0",
                                                                    "retention_days"]),
    ("gates_recording as 1", _set("purposes.0.gates_recording", 1), ["purposes", "0",
                                                                     "gates_recording"]),
    ("bad purpose key", _set("purposes.0.key", "Record ing"), ["purposes", "0", "key"]),
    ("data not a list", _set("purposes.0.data", "email"), ["purposes", "0", "data"]),
    ("text not an object", _set("purposes.0.text", ["en"]), ["purposes", "0", "text"]),
    ("text empty", _set("purposes.0.text", {}), ["purposes", "0", "text"]),
    ("bad language tag", _set("default_language", "english language"), ["default_language"]),
    ("title too long", _set("purposes.0.text.en.title", "x" * 201), ["purposes", "0", "text"]),
    ("bad email", _set("controller.contact_email", "dpo"), ["controller", "contact_email"]),
    ("bad url", _set("privacy_policy_url", "javascript:alert(1)"), ["privacy_policy_url"]),
    ("name as number", _set("name", 5), ["name"]),
    ("blank name", _set("name", "   "), ["name"]),
    ("NUL in a title", _set("purposes.0.text.en.title", "Rec\x00ord"), ["purposes", "0",
                                                                        "text"]),
    ("no purposes", _set("purposes", []), ["purposes"]),
    ("purposes not a list", _set("purposes", {"key": "x"}), ["purposes"]),
    ("unknown top field", _set("colour", "blue"), ["colour"]),
    ("unknown purpose field", _set("purposes.0.colour", "blue"), ["purposes", "0", "colour"]),
    ("unknown text field", _set("purposes.0.text.en.note", "x"), ["purposes", "0", "text"]),
]


@pytest.mark.parametrize(("case", "edit", "place"), SCHEMA_CASES,
                         ids=[c[0] for c in SCHEMA_CASES])
def test_a_malformed_notice_is_refused_naming_the_field(
        api: Api, case: str, edit: Edit, place: list[str]) -> None:
    body = lecture_notice()
    edit(body)
    problem = assert_problem(api.post("/api/v1/notices", body), 422)
    errors: Any = problem["errors"]
    for part in place:
        assert part in errors, (case, problem["errors"])
        errors = errors[part]
    assert api.get("/api/v1/notices").get_json() == []


def test_a_missing_field_is_named(api: Api) -> None:
    body = lecture_notice()
    del body["controller"]
    del body["purposes"][0]["retention_days"]
    errors = assert_problem(api.post("/api/v1/notices", body), 422)["errors"]
    assert "controller" in errors and "retention_days" in errors["purposes"]["0"]


@pytest.mark.parametrize(("body", "field"), [
    ({"notice_id": "ntc_x"}, "title"),
    ({"title": 5, "notice_id": "ntc_x"}, "title"),
    ({"title": "", "notice_id": "ntc_x"}, "title"),
    ({"title": "x" * 301, "notice_id": "ntc_x"}, "title"),
    ({"title": "T\x00", "notice_id": "ntc_x"}, "title"),
    ({"title": "T", "notice_id": ["ntc_x"]}, "notice_id"),
    ({"title": "T", "notice_id": "ntc\x00"}, "notice_id"),
    ({"title": "T", "notice_id": "ntc_unknown"}, "notice_id"),
    ({"title": "T", "notice_id": "ntc_x", "starts_at": "2030-01-01T09:00:00"}, "starts_at"),
    ({"title": "T", "notice_id": "ntc_x", "starts_at": "tomorrow"}, "starts_at"),
    ({"title": "T", "notice_id": "ntc_x", "external_ref": "r" * 201}, "external_ref"),
    ({"title": "T", "notice_id": "ntc_x", "widget_token": "mine"}, "widget_token"),
])
def test_a_malformed_call_is_refused_naming_the_field(api: Api, body: dict, field: str) -> None:
    problem = assert_problem(api.post("/api/v1/calls", body), 422)
    assert field in problem["errors"], problem
    assert api.get("/api/v1/calls").get_json() == []


@pytest.mark.parametrize("raw", [b'{"name": ', b"{'name': 'x'}", b"\xff\xfe{}", b"NaN-ish",
                                 b"[" * 20000, b"9" * 5000])
def test_a_body_that_is_not_json_is_400(api: Api, raw: bytes) -> None:
    for path in ("/api/v1/notices", "/api/v1/calls"):
        response = api.post(path, data=raw, content_type="application/json")
        assert_problem(response, 400)
    assert api.get("/api/v1/notices").get_json() == []


@pytest.mark.parametrize("body", [[], "notice", 5, None])
def test_a_body_that_is_not_an_object_is_422(api: Api, body: Any) -> None:
    response = api.post("/api/v1/notices", data=json.dumps(body),
                        content_type="application/json")
    assert_problem(response, 422)


def test_an_empty_or_non_json_body_is_422(api: Api) -> None:
    assert_problem(api.post("/api/v1/calls", data=b"", content_type="application/json"), 422)
    assert_problem(api.post("/api/v1/calls", data=b"title=x", content_type="text/plain"), 422)


def test_an_oversized_body_is_413(api: Api) -> None:
    body = lecture_notice()
    body["purposes"][0]["text"]["en"]["description"] = "x" * (70 * 1024)
    problem = assert_problem(api.post("/api/v1/notices", body), 413)
    assert problem["title"]
    raw = b"{" + b" " * (65 * 1024) + b"}"
    assert_problem(api.post("/api/v1/calls", data=raw, content_type="application/json"), 413)
    assert api.get("/api/v1/notices").get_json() == []


@pytest.mark.parametrize("path", [
    "/api/v1/notices?colour=blue", "/api/v1/calls?token=abc", "/api/v1/calls?status=open&x=1",
    "/api/v1/notices/{notice}?revision=1", "/api/v1/calls/{call}?verbose=1",
    "/api/v1/calls/{call}/gate?since=1", "/api/v1/calls/{call}/participants?page=2",
    "/api/v1/calls/{call}/decisions?offset=5",
])
def test_an_unknown_query_parameter_is_named(api: Api, path: str) -> None:
    call = api.call()
    url = path.format(notice=call["notice"]["id"], call=call["id"])
    problem = assert_problem(api.get(url), 422)
    name = url.rsplit("?", 1)[1].split("&")[-1].split("=")[0]
    assert name in problem["errors"], problem


def test_an_unknown_query_parameter_on_a_post_is_refused(api: Api) -> None:
    notice = api.notice()
    problem = assert_problem(api.post("/api/v1/calls?token=x", {
        "title": "T", "notice_id": notice["id"]}), 422)
    assert "token" in problem["errors"]
    assert api.get("/api/v1/calls").get_json() == []


@pytest.mark.parametrize("query", ["version=0", "version=x", "version=1.5",
                                   "version=99999999999999"])
def test_a_bad_version_is_422(api: Api, query: str) -> None:
    notice = api.notice()
    problem = assert_problem(api.get(f"/api/v1/notices/{notice['id']}?{query}"), 422)
    assert "version" in problem["errors"]


ALL_ENDPOINTS = [
    ("post", "/api/v1/notices"), ("get", "/api/v1/notices"),
    ("get", "/api/v1/notices/ntc_x"), ("post", "/api/v1/notices/ntc_x/versions"),
    ("post", "/api/v1/calls"), ("get", "/api/v1/calls"), ("get", "/api/v1/calls/call_x"),
    ("post", "/api/v1/calls/call_x/end"), ("get", "/api/v1/calls/call_x/gate"),
    ("get", "/api/v1/calls/call_x/participants"), ("get", "/api/v1/calls/call_x/decisions"),
    ("get", "/api/v1/statistics"),
]


@pytest.mark.parametrize(("method", "path"), ALL_ENDPOINTS)
@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wsk_nope_nope", "Bearer garbage",
                                    "Basic dXNlcjpwYXNz", "bearer "])
def test_without_a_valid_api_key_every_endpoint_is_401(
        anonymous: Api, method: str, path: str, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    # 401 comes first: even an invalid body or query is not looked at.
    response = getattr(anonymous.client, method)(path + "?junk=1", headers=headers,
                                                 data=b"{", content_type="application/json")
    problem = assert_problem(response, 401)
    assert "key" in problem["detail"].lower()


def test_a_revoked_looking_key_of_the_right_shape_is_401(api: Api, anonymous: Api) -> None:
    key = api.headers["Authorization"].split(" ", 1)[1]
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    response = anonymous.client.get("/api/v1/notices",
                                    headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401)


def test_unknown_routes_and_methods_are_problems(api: Api) -> None:
    assert_problem(api.get("/api/v1/nothing-here"), 404)
    assert_problem(api.client.delete("/api/v1/notices", headers=api.headers), 405)
    assert api.get("/api/v1/notices").mimetype == "application/json"
    assert PROBLEM != "application/json"
