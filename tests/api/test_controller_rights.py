"""The controller's side of a participant's rights (CONTRACT §C, Controller side), with the
organisation's API key: read what is held, record a choice received by other means (channel
`api`), erase. Another organisation's ids, or a participant of another call, are 404."""

from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import Api, assert_problem
from tests.services.support import CANARY_EMAIL, CANARY_NAME, World, new_event_id
from widget_server.domain.models import DecisionEvent
from widget_server.services import ledger


@pytest.fixture
def lecture(app: Flask, api: Api) -> dict[str, Any]:
    """One of the organisation's calls with Ann (name, email, notes granted)."""
    call = api.call()
    world = World(app.extensions["widget_db"])
    ann = world.join(call["id"], {"display_name": CANARY_NAME})["participant"]["id"]
    world.decide(call["id"], ann, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    base = f"/api/v1/calls/{call['id']}/participants/{ann}"
    return {"call": call, "world": world, "ann": ann, "base": base}


def withdrawal() -> dict[str, Any]:
    return {"event_id": new_event_id(), "choices": {"notes_email": "withdrawn"}}


def test_the_controller_reads_what_is_held_as_the_participant_does(api: Api,
                                                                   lecture: dict) -> None:
    response = api.get(lecture["base"])
    assert response.status_code == 200
    me = response.get_json()
    assert me["participant"]["id"] == lecture["ann"]
    assert me["fields"] == {"display_name": CANARY_NAME, "email": CANARY_EMAIL}
    assert [e["state"] for e in me["events"]] == ["notice_served", "granted"]
    assert len(me["receipts"]) == 1 and me["receipts"][0]["jws"].count(".") == 2


def test_a_withdrawal_by_email_after_the_end_is_recorded_with_channel_api(
        app: Flask, api: Api, lecture: dict) -> None:
    api.post(f"/api/v1/calls/{lecture['call']['id']}/end")
    response = api.post(f"{lecture['base']}/decisions", withdrawal())
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["held"] == ["display_name"]
    me = api.get(lecture["base"]).get_json()
    assert me["fields"] == {"display_name": CANARY_NAME}
    assert (me["events"][-1]["state"], me["events"][-1]["channel"]) == ("withdrawn", "api")
    before = lecture["world"].footprint()
    body = assert_problem(api.post(f"{lecture['base']}/decisions", {
        "event_id": new_event_id(), "choices": {"recording": "granted"}}), 409)
    assert body["code"] == "call_ended"
    assert lecture["world"].footprint() == before


def test_the_controller_erases_and_a_repeat_records_nothing(app: Flask, api: Api,
                                                            lecture: dict) -> None:
    first = api.client.delete(f"{lecture['base']}/data", headers=api.headers)
    assert first.status_code == 200
    assert first.get_json()["erased"] == ["display_name", "email"]
    rows = lecture["world"].count(DecisionEvent)
    second = api.client.delete(f"{lecture['base']}/data", headers=api.headers)
    assert second.status_code == 200 and second.get_json()["recorded"] is False
    assert lecture["world"].count(DecisionEvent) == rows
    me = api.get(lecture["base"]).get_json()
    assert me["fields"] == {}
    assert (me["events"][-1]["purpose"], me["events"][-1]["state"],
            me["events"][-1]["channel"]) == (None, "erased", "api")
    ring = app.extensions["widget_keys"].ring()
    with app.extensions["widget_db"].read_session() as s:
        assert ledger.verify(s, None, ring.public_keys()).ok


def test_another_organisation_sees_nothing_and_changes_nothing(api: Api, other: Api,
                                                               lecture: dict) -> None:
    before = lecture["world"].footprint()
    base = lecture["base"]
    body = assert_problem(other.get(base), 404)
    assert CANARY_NAME not in str(body)
    assert_problem(other.post(f"{base}/decisions", withdrawal()), 404)
    assert_problem(other.client.delete(f"{base}/data", headers=other.headers), 404)
    assert lecture["world"].footprint() == before


def test_a_participant_of_another_call_or_no_participant_is_not_found(
        api: Api, other: Api, lecture: dict) -> None:
    second, theirs = api.call(), other.call()
    before = lecture["world"].footprint()
    for base in (f"/api/v1/calls/{second['id']}/participants/{lecture['ann']}",
                 f"/api/v1/calls/{lecture['call']['id']}/participants/p_nope",
                 f"/api/v1/calls/call_nope/participants/{lecture['ann']}",
                 f"/api/v1/calls/{lecture['call']['id']}/participants/not%20an%20id"):
        assert_problem(api.get(base), 404)
        assert_problem(api.post(f"{base}/decisions", withdrawal()), 404)
        assert_problem(api.client.delete(f"{base}/data", headers=api.headers), 404)
    # Another organisation's own call id with our participant: still nobody of theirs.
    assert_problem(other.get(f"/api/v1/calls/{theirs['id']}/participants/{lecture['ann']}"),
                   404)
    assert lecture["world"].footprint() == before


def test_without_an_api_key_it_is_401(anonymous: Api, lecture: dict) -> None:
    assert_problem(anonymous.get(lecture["base"]), 401)
    assert_problem(anonymous.post(f"{lecture['base']}/decisions", withdrawal()), 401)
    assert_problem(anonymous.client.delete(f"{lecture['base']}/data"), 401)


def test_a_manage_secret_is_no_api_key(app: Flask, lecture: dict) -> None:
    """The participant's secret opens /me only, never the controller's endpoints."""
    call_id = lecture["call"]["id"]
    world: World = lecture["world"]
    resume = world.join(call_id, {"display_name": "Bob"})["participant"]["resume"]
    client = app.test_client()
    assert_problem(client.get(lecture["base"],
                              headers={"Authorization": f"Participant {resume}"}), 401)
    assert_problem(client.get(lecture["base"], headers={"Authorization": f"Bearer {resume}"}),
                   401)


def test_bad_decisions_are_422_and_store_nothing(api: Api, lecture: dict) -> None:
    before = lecture["world"].footprint()
    body = assert_problem(api.post(f"{lecture['base']}/decisions", {
        "event_id": "free text", "choices": {"notes_email": "withdrawn"}}), 422)
    assert "event_id" in body["errors"]
    body = assert_problem(api.post(f"{lecture['base']}/decisions?x=1", withdrawal()), 422)
    assert "x" in body["errors"]
    assert lecture["world"].footprint() == before
