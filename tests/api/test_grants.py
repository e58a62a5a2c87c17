"""Processing grants (CONTRACT §D, §E) over REST: made by API key for one call and one purpose
(or the phone bridge), token shown once and kept only as a digest, listed without tokens,
revoked idempotently; every bad input refused, naming what is wrong, storing nothing."""

from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import Api, assert_problem
from widget_server.domain.models import Grant
from widget_server.services import grants


@pytest.fixture
def call(api: Api) -> dict[str, Any]:
    return api.call()


def base(call: dict[str, Any]) -> str:
    return f"/api/v1/calls/{call['id']}/grants"


def stored(app: Flask) -> list[Grant]:
    with app.extensions["widget_db"].read_session() as session:
        return list(session.query(Grant))


def test_a_processor_grant_is_made_once_with_its_token(app: Flask, api: Api, call: dict) -> None:
    response = api.post(base(call), {"purpose": "recording", "name": "Recording bot"})
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["id"].startswith("grt_") and made["role"] == "processor"
    assert (made["purpose"], made["name"], made["call_id"]) == ("recording", "Recording bot",
                                                              call["id"])
    assert made["token"].startswith(made["id"] + ".") and made["revoked_at"] is None
    [row] = stored(app)
    secret = made["token"].split(".", 1)[1]
    assert secret not in row.token_hash and row.token_hash != made["token"]
    listed = api.get(base(call)).get_json()
    assert [g["id"] for g in listed] == [made["id"]]
    assert "token" not in listed[0] and "token_hash" not in listed[0]


def test_a_telephony_grant_has_no_purpose(app: Flask, api: Api, call: dict) -> None:
    response = api.post(base(call), {"purpose": None, "role": "telephony", "name": "Bridge"})
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert (made["role"], made["purpose"]) == ("telephony", None)
    with app.extensions["widget_db"].read_session() as session:
        who = grants.authenticate(session, made["token"], grants.TELEPHONY)
        assert (who.id, who.call_id, who.purpose) == (made["id"], call["id"], None)
        with pytest.raises(grants.Unauthorized):
            grants.authenticate(session, made["token"], grants.PROCESSOR)


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "Bot"}, "purpose"),                                   # processor without purpose
    ({"purpose": "nope", "name": "Bot"}, "purpose"),                # not in the notice
    ({"purpose": "recording", "name": "Bot", "role": "telephony"}, "purpose"),
    ({"purpose": "recording"}, "name"),
    ({"purpose": "recording", "name": ""}, "name"),
    ({"purpose": "recording", "name": "x" * 101}, "name"),
    ({"purpose": "recording", "name": "Bot\x00"}, "name"),
    ({"purpose": "recording", "name": "Bot", "role": "admin"}, "role"),
    ({"purpose": "recording", "name": "Bot", "scope": "all"}, "scope"),
    ({"purpose": 7, "name": "Bot"}, "purpose"),
])
def test_bad_grants_are_422_naming_the_field_and_store_nothing(app: Flask, api: Api,
                                                              call: dict, body: dict,
                                                              field: str) -> None:
    problem = assert_problem(api.post(base(call), body), 422)
    assert field in problem["errors"], problem
    assert stored(app) == []


def test_an_ended_call_gets_no_grant(app: Flask, api: Api, call: dict) -> None:
    api.post(f"/api/v1/calls/{call['id']}/end")
    problem = assert_problem(api.post(base(call), {"purpose": "recording", "name": "Bot"}), 409)
    assert problem["code"] == "call_ended"
    assert stored(app) == []


def test_another_organisations_call_and_grant_are_404(app: Flask, api: Api, other: Api,
                                                     call: dict) -> None:
    made = api.post(base(call), {"purpose": "recording", "name": "Bot"}).get_json()
    assert_problem(other.post(base(call), {"purpose": "recording", "name": "Bot"}), 404)
    assert_problem(other.get(base(call)), 404)
    assert_problem(other.client.delete(f"{base(call)}/{made['id']}", headers=other.headers), 404)
    assert [g.revoked_at for g in stored(app)] == [None]
    assert_problem(api.client.delete(f"{base(call)}/grt_nothing", headers=api.headers), 404)


def test_revoking_stops_the_token_and_is_idempotent(app: Flask, api: Api, call: dict) -> None:
    made = api.post(base(call), {"purpose": "recording", "name": "Bot"}).get_json()
    first = api.client.delete(f"{base(call)}/{made['id']}", headers=api.headers)
    assert first.status_code == 200 and first.get_json()["revoked_at"] is not None
    again = api.client.delete(f"{base(call)}/{made['id']}", headers=api.headers)
    assert again.status_code == 200
    assert again.get_json()["revoked_at"] == first.get_json()["revoked_at"]
    with app.extensions["widget_db"].read_session() as session, pytest.raises(
            grants.Unauthorized):
        grants.authenticate(session, made["token"], grants.PROCESSOR)


@pytest.mark.parametrize("token", [
    None, "", "grt_x", "grt_abc.", ".secret", "p_abc.secret", "grt_abc.sécret",
    "grt_" + "a" * 300 + ".s"])
def test_a_malformed_or_unknown_token_is_the_same_refusal(app: Flask, token: Any) -> None:
    with app.extensions["widget_db"].read_session() as session, pytest.raises(
            grants.Unauthorized) as refused:
        grants.authenticate(session, token, grants.PROCESSOR)
    assert str(refused.value) == grants.REFUSAL


def test_a_wrong_secret_is_the_same_refusal(app: Flask, api: Api, call: dict) -> None:
    made = api.post(base(call), {"purpose": "recording", "name": "Bot"}).get_json()
    with app.extensions["widget_db"].read_session() as session, pytest.raises(
            grants.Unauthorized) as refused:
        grants.authenticate(session, made["id"] + ".wrong-secret", grants.PROCESSOR)
    assert str(refused.value) == grants.REFUSAL


def test_a_grant_token_is_no_api_key(api: Api, call: dict, app: Flask) -> None:
    made = api.post(base(call), {"purpose": "recording", "name": "Bot"}).get_json()
    as_key = Api(app.test_client(), made["token"])
    assert_problem(as_key.get(base(call)), 401)
    assert_problem(as_key.get(f"/api/v1/calls/{call['id']}"), 401)
