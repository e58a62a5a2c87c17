"""The processor's REST surface (CONTRACT §D): `GET /api/v1/processing/plan` and `POST
/api/v1/processing/applied`, by grant token only. A grant is for one call and one purpose:
another call's or purpose's plan is refused; a revoked token, an API key, a telephony token
are refused alike; a polling pipeline sees a withdrawal on its next poll."""

from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import Api, assert_problem
from tests.services.support import CANARY_EMAIL, CANARY_NAME, World, new_event_id

PLAN = "/api/v1/processing/plan"
APPLIED = "/api/v1/processing/applied"


def make_grant(api: Api, call_id: str, purpose: str | None = "notes_email",
               role: str = "processor") -> dict[str, Any]:
    response = api.post(f"/api/v1/calls/{call_id}/grants",
                        {"purpose": purpose, "name": "Notes mailer", "role": role})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


@pytest.fixture
def lecture(app: Flask, api: Api) -> dict[str, Any]:
    """A call where Ann granted the notes (email) and Bob did not; a mailer's grant."""
    call = api.call()
    world = World(app.extensions["widget_db"])
    ann = world.join(call["id"], {"display_name": CANARY_NAME}, ref="meet-ann")
    ann_id = ann["participant"]["id"]
    world.decide(call["id"], ann_id, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    bob = world.join(call["id"], {"display_name": "Bob"})["participant"]["id"]
    grant = make_grant(api, call["id"])
    return {"call": call, "world": world, "ann": ann_id, "bob": bob, "grant": grant,
            "processor": Api(app.test_client(), grant["token"])}


def by_id(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in plan["participants"]}


def test_the_plan_with_a_grant_token(lecture: dict) -> None:
    response = lecture["processor"].get(PLAN)
    assert response.status_code == 200, response.get_json()
    plan = response.get_json()
    assert (plan["purpose"], plan["call_id"], plan["allowed"]) == (
        "notes_email", lecture["call"]["id"], True)
    people = by_id(plan)
    assert people[lecture["ann"]] == {"id": lecture["ann"], "ref": "meet-ann",
                                      "state": "granted", "present": True, "allowed": True,
                                      "fields": {"email": CANARY_EMAIL}}
    assert people[lecture["bob"]]["allowed"] is False and "fields" not in people[lecture["bob"]]
    assert CANARY_NAME not in response.get_data(as_text=True)  # another purpose's data


def test_a_polling_pipeline_sees_a_withdrawal_on_its_next_poll(api: Api, lecture: dict) -> None:
    first = lecture["processor"].get(PLAN).get_json()
    assert by_id(first)[lecture["ann"]]["allowed"] is True
    # Ann withdraws by email; the controller records it (channel api).
    withdrawn = api.post(f"/api/v1/calls/{lecture['call']['id']}/participants/"
                         f"{lecture['ann']}/decisions",
                         {"event_id": new_event_id(), "choices": {"notes_email": "withdrawn"}})
    assert withdrawn.status_code == 200, withdrawn.get_json()
    second = lecture["processor"].get(PLAN)
    plan = second.get_json()
    assert plan["seq"] > first["seq"]
    assert by_id(plan)[lecture["ann"]] == {"id": lecture["ann"], "ref": "meet-ann",
                                           "state": "withdrawn", "present": True,
                                           "allowed": False}
    assert CANARY_EMAIL not in second.get_data(as_text=True)


def test_another_purposes_plan_is_refused(lecture: dict) -> None:
    problem = assert_problem(lecture["processor"].get(PLAN, query_string={
        "purpose": "recording"}), 403)
    assert problem["code"] == "wrong_purpose"
    assert lecture["processor"].get(PLAN, query_string={"purpose": "notes_email"}
                                    ).status_code == 200


def test_a_grant_token_on_another_call_is_refused(api: Api, lecture: dict) -> None:
    other_call = api.call()
    problem = assert_problem(lecture["processor"].get(PLAN, query_string={
        "call_id": other_call["id"]}), 403)
    assert problem["code"] == "wrong_call"
    # Nor does it reach the other call's (or any) API-key endpoint.
    assert_problem(lecture["processor"].get(f"/api/v1/calls/{other_call['id']}/gate"), 401)
    assert_problem(lecture["processor"].get(f"/api/v1/calls/{other_call['id']}/grants"), 401)


def test_a_revoked_token_is_refused(api: Api, lecture: dict) -> None:
    call_id, grant = lecture["call"]["id"], lecture["grant"]
    api.client.delete(f"/api/v1/calls/{call_id}/grants/{grant['id']}", headers=api.headers)
    assert assert_problem(lecture["processor"].get(PLAN), 401)["code"] == "unauthorized"
    assert_problem(lecture["processor"].post(APPLIED, {"seq": 1}), 401)


def test_an_api_key_or_a_telephony_token_is_no_grant_token(app: Flask, api: Api,
                                                           lecture: dict) -> None:
    assert_problem(api.get(PLAN), 401)
    phone = make_grant(api, lecture["call"]["id"], None, "telephony")
    assert_problem(Api(app.test_client(), phone["token"]).get(PLAN), 401)
    assert_problem(Api(app.test_client(), None).get(PLAN), 401)
    wrong = Api(app.test_client(), lecture["grant"]["id"] + ".not-the-secret")
    assert_problem(wrong.get(PLAN), 401)


def test_a_token_in_the_query_string_is_refused(app: Flask, lecture: dict) -> None:
    response = app.test_client().get(PLAN, query_string={"token": lecture["grant"]["token"]})
    assert assert_problem(response, 400)["code"] == "secret_in_query"
    assert lecture["grant"]["token"] not in response.get_data(as_text=True)


def test_an_unknown_query_parameter_is_refused(lecture: dict) -> None:
    problem = assert_problem(lecture["processor"].get(PLAN, query_string={"all": "1"}), 422)
    assert "all" in problem["errors"]


def test_applied_is_recorded_and_listed(api: Api, lecture: dict) -> None:
    seq = lecture["processor"].get(PLAN).get_json()["seq"]
    response = lecture["processor"].post(APPLIED, {"seq": seq})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["last_applied_seq"] == seq
    [listed] = api.get(f"/api/v1/calls/{lecture['call']['id']}/grants").get_json()
    assert listed["last_applied_seq"] == seq and listed["applied_delay_ms"] >= 0


@pytest.mark.parametrize(("body", "field"), [
    ({}, "seq"), ({"seq": "3"}, "seq"), ({"seq": -1}, "seq"), ({"seq": True}, "seq"),
    ({"seq": 1.5}, "seq"), ({"seq": 2**31}, "seq"), ({"seq": 10_000}, "seq"),
    ({"seq": 1, "extra": 1}, "extra"),
])
def test_bad_applied_bodies_are_422_and_store_nothing(api: Api, lecture: dict, body: dict,
                                                      field: str) -> None:
    problem = assert_problem(lecture["processor"].post(APPLIED, body), 422)
    assert field in str(problem["errors"]), problem
    [listed] = api.get(f"/api/v1/calls/{lecture['call']['id']}/grants").get_json()
    assert listed["last_applied_seq"] is None
