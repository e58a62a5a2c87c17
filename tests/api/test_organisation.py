"""GET and PATCH /api/v1/organisation: the caller's organisation and its proof_retention_days
(CONTRACT §C, Sealing). A refused change stores nothing."""

from typing import Any

import pytest

from tests.api.conftest import Api, assert_problem

PATH = "/api/v1/organisation"


def patch(api: Api, body: Any = None, **kwargs: Any) -> Any:
    if body is not None:
        kwargs["json"] = body
    return api.client.patch(PATH, headers=api.headers, **kwargs)


def days(api: Api) -> int:
    response = api.get(PATH)
    assert response.status_code == 200, response.get_json()
    return int(response.get_json()["proof_retention_days"])


def test_the_default_is_1095_days_and_a_change_is_kept(api: Api) -> None:
    body = api.get(PATH).get_json()
    assert set(body) == {"id", "name", "origins", "created_at", "proof_retention_days"}
    assert body["proof_retention_days"] == 1095
    assert body["name"] == "Example University"
    assert body["origins"] == ["https://meet.example.org"]
    changed = patch(api, {"proof_retention_days": 30})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json() == {**body, "proof_retention_days": 30}
    assert days(api) == 30
    assert patch(api, {"proof_retention_days": 1}).status_code == 200
    assert patch(api, {"proof_retention_days": 3650}).status_code == 200
    assert days(api) == 3650


@pytest.mark.parametrize(("body", "message"), [
    ({"proof_retention_days": "30"}, "Not a valid integer."),
    ({"proof_retention_days": 30.5}, "Not a valid integer."),
    ({"proof_retention_days": 30.0}, "Not a valid integer."),
    ({"proof_retention_days": True}, "Not a valid integer."),
    ({"proof_retention_days": None}, "Field may not be null."),
    ({"proof_retention_days": 0}, "greater than or equal to 1"),
    ({"proof_retention_days": -5}, "greater than or equal to 1"),
    ({"proof_retention_days": 3651}, "less than or equal to 3650"),
    ({"proof_retention_days": 10**30}, "less than or equal to 3650"),
    ({"proof_retention_days": [30]}, "Not a valid integer."),
    ({}, "Missing data for required field."),
])
def test_a_bad_value_is_refused_naming_the_field_and_nothing_is_stored(
        api: Api, body: dict[str, Any], message: str) -> None:
    problem = assert_problem(patch(api, body), 422)
    assert any(message in m for m in problem["errors"]["proof_retention_days"]), problem
    assert days(api) == 1095


def test_an_unknown_field_is_refused_and_nothing_is_stored(api: Api) -> None:
    problem = assert_problem(patch(api, {"proof_retention_days": 30, "name": "Renamed"}), 422)
    assert "name" in problem["errors"]
    assert days(api) == 1095
    assert api.get(PATH).get_json()["name"] == "Example University"


@pytest.mark.parametrize("data", ["{not json", "[30]", "30"])
def test_a_body_that_is_not_an_object_is_refused(api: Api, data: str) -> None:
    response = patch(api, data=data, content_type="application/json")
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)
    assert days(api) == 1095


def test_a_query_string_is_refused(api: Api) -> None:
    problem = assert_problem(api.client.patch(f"{PATH}?proof_retention_days=30",
                                              headers=api.headers,
                                              json={"proof_retention_days": 30}), 422)
    assert "proof_retention_days" in problem["errors"]
    assert days(api) == 1095
    assert_problem(api.get(f"{PATH}?x=1"), 422)


def test_each_organisation_sees_and_changes_only_its_own(api: Api, other: Api) -> None:
    mine, theirs = api.get(PATH).get_json(), other.get(PATH).get_json()
    assert mine["id"] != theirs["id"] and theirs["name"] == "Other Org"
    assert patch(other, {"proof_retention_days": 7}).status_code == 200
    assert days(api) == 1095 and days(other) == 7


def test_without_a_valid_key_nothing_is_read_or_changed(api: Api, anonymous: Api) -> None:
    assert_problem(anonymous.get(PATH), 401)
    assert_problem(patch(anonymous, {"proof_retention_days": 30}), 401)
    wrong = Api(api.client, "wsk_00000000_wrong")
    assert_problem(patch(wrong, {"proof_retention_days": 30}), 401)
    assert days(api) == 1095
