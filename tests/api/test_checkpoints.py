"""GET /api/v1/calls/{id}/checkpoints (CONTRACT §B): the signed ledger heads of one own call."""

from flask import Flask

from tests.api.conftest import Api, assert_problem
from tests.services.support import World
from tests.services.test_receipts import jose_verify


def test_ending_a_call_signs_its_head_and_the_api_lists_it(app: Flask, api: Api) -> None:
    call = api.call()
    world = World(app.extensions["widget_db"])
    pid = world.join(call["id"], {"display_name": "Ada"})["participant"]["id"]
    world.decide(call["id"], pid, {"recording": "granted"})
    assert api.get(f"/api/v1/calls/{call['id']}/checkpoints").get_json() == {"items": []}
    assert api.post(f"/api/v1/calls/{call['id']}/end").status_code == 200
    response = api.get(f"/api/v1/calls/{call['id']}/checkpoints")
    assert response.status_code == 200
    [final] = response.get_json()["items"]
    assert set(final) == {"seq", "hash", "final", "signed_at", "kid", "jws"}
    assert final["seq"] == 2 and final["final"] is True
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    payload = jose_verify(final["jws"], jwks)
    assert (payload["call_id"], payload["seq"], payload["hash"]) == (
        call["id"], 2, world.events(call["id"])[-1].hash)
    assert final["kid"] == jwks["keys"][0]["kid"]


def test_checkpoints_of_another_organisation_or_no_call_are_not_found(api: Api, other: Api,
                                                                       anonymous: Api) -> None:
    call = api.call()
    assert_problem(other.get(f"/api/v1/calls/{call['id']}/checkpoints"), 404)
    assert_problem(api.get("/api/v1/calls/call_nope/checkpoints"), 404)
    assert_problem(anonymous.get(f"/api/v1/calls/{call['id']}/checkpoints"), 401)
    body = assert_problem(api.get(f"/api/v1/calls/{call['id']}/checkpoints?after=1"), 422)
    assert "after" in body["errors"]
