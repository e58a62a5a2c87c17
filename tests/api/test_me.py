"""The participant's own REST surface (CONTRACT §C, Manage link): `Authorization: Participant
<participant id>.<secret>`, GET /me, its export, receipts, decisions after the end, erasure."""

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api, assert_problem, make_app
from tests.services.support import CANARY_EMAIL, CANARY_NAME, World, new_event_id
from tests.services.test_receipts import jose_verify
from widget_server import logs
from widget_server.domain.models import DecisionEvent
from widget_server.services import ledger, participant_access

SECRET_PARAMETERS = ("key", "secret", "resume", "token", "KEY", "Token")


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Without rate limits: these tests fail authentication on purpose, many times."""
    app = make_app(database_url, tmp_path, RATE_LIMITS=False)
    yield app
    app.extensions["widget_db"].dispose()


class Manage:
    """A client holding one participant's manage secret."""

    def __init__(self, client: FlaskClient, resume: str) -> None:
        self.client = client
        self.resume = resume
        self.id = resume.split(".", 1)[0]
        self.headers = {"Authorization": f"Participant {resume}"}

    def get(self, path: str = "/api/v1/me", **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kw)

    def decide(self, choices: Any, event_id: Any = None, path: str = "/api/v1/me/decisions",
               **body: Any) -> Any:
        return self.client.post(path, headers=self.headers, json={
            "event_id": event_id or new_event_id(), "choices": choices, **body})

    def delete(self, path: str = "/api/v1/me") -> Any:
        return self.client.delete(path, headers=self.headers)


@pytest.fixture
def lecture(app: Flask, api: Api) -> dict[str, Any]:
    """A call with two participants: Ann (German, name and email held, notes granted) and Bob."""
    call = api.call()
    world = World(app.extensions["widget_db"])
    ann = world.join(call["id"], {"display_name": CANARY_NAME}, language="de")["participant"]
    bob = world.join(call["id"], {"display_name": "Bob"}, language="en")["participant"]
    world.decide(call["id"], ann["id"], {"notes_email": "granted", "recording": "granted"},
                 fields={"email": CANARY_EMAIL})
    world.decide(call["id"], bob["id"], {"recording": "denied"})
    client = app.test_client()
    return {"call": call, "world": world, "ann": Manage(client, ann["resume"]),
            "bob": Manage(client, bob["resume"])}


def ledger_rows(lecture: dict[str, Any]) -> int:
    return lecture["world"].count(DecisionEvent)


def verifies(app: Flask) -> bool:
    ring = app.extensions["widget_keys"].ring()
    with app.extensions["widget_db"].read_session() as s:
        return ledger.verify(s, None, ring.public_keys()).ok


# --- GET /me --------------------------------------------------------------------------------


def test_me_shows_everything_held_about_the_participant(app: Flask, lecture: dict) -> None:
    ann: Manage = lecture["ann"]
    response = ann.get()
    assert response.status_code == 200
    me = response.get_json()
    assert set(me) == {"participant", "call", "notice", "state", "fields", "events",
                       "receipts", "rights"}
    assert me["participant"]["id"] == ann.id and me["participant"]["language"] == "de"
    assert me["call"] == {"id": lecture["call"]["id"], "title": "Lecture 1", "status": "open",
                          "ended_at": None}
    # The notice as the widget receives it, in the participant's language.
    assert me["notice"]["language"] == "de"
    assert me["notice"]["purposes"][0]["title"] == "Diese Sitzung aufzeichnen"
    assert me["notice"]["content_hash"] == lecture["call"]["notice"]["content_hash"]
    assert me["state"] == {"recording": "granted", "notes_email": "granted",
                           "attendance": "not_objected", "service": "informed"}
    assert me["fields"] == {"display_name": CANARY_NAME, "email": CANARY_EMAIL}
    # Every ledger event of theirs, and only theirs.
    assert [(e["purpose"], e["state"]) for e in me["events"]] == [
        (None, "notice_served"), ("notes_email", "granted"), ("recording", "granted")]
    assert {e["participant_id"] for e in me["events"]} == {ann.id}
    [receipt] = me["receipts"]
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    payload = jose_verify(receipt["jws"], jwks)
    assert payload["receipt_id"] == receipt["id"] and payload["participant_id"] == ann.id
    assert payload["manage_url"].endswith(f"/manage/{ann.id}")
    assert me["rights"] == {"grant": True, "withdraw_or_object": True, "decisions_until": None}


def test_the_export_downloads_the_same_document(lecture: dict) -> None:
    ann: Manage = lecture["ann"]
    response = ann.get("/api/v1/me/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="my-data-{ann.id}.json"')
    assert json.loads(response.get_data(as_text=True)) == ann.get().get_json()


def test_a_receipt_by_id_and_never_another_participants(lecture: dict) -> None:
    ann, bob = lecture["ann"], lecture["bob"]
    [receipt] = ann.get().get_json()["receipts"]
    answer = ann.get(f"/api/v1/me/receipts/{receipt['id']}")
    assert answer.status_code == 200 and answer.get_json() == {"jws": receipt["jws"]}
    body = assert_problem(bob.get(f"/api/v1/me/receipts/{receipt['id']}"), 404)
    assert body["code"] == "not_found"
    assert_problem(ann.get("/api/v1/me/receipts/rcpt_nope"), 404)
    assert_problem(ann.get("/api/v1/me/receipts/not%20an%20id"), 404)


# --- the manage secret ----------------------------------------------------------------------


def refused_headers(lecture: dict) -> list[dict[str, str]]:
    ann, bob = lecture["ann"], lecture["bob"]
    ann_secret, bob_secret = ann.resume.split(".", 1)[1], bob.resume.split(".", 1)[1]
    values = ["", "Participant", f"Bearer {ann.resume}", f"Basic {ann.resume}", ann.resume,
              f"Participant {ann_secret}", f"Participant {ann.id}", f"Participant {ann.id}.",
              f"Participant {ann.resume[:-1]}", f"Participant {ann.resume[:20]}",
              f"Participant {ann.id}.{bob_secret}", f"Participant {bob.id}.{ann_secret}",
              f"Participant p_{'0' * 32}.{ann_secret}", f"Participant {ann.resume}x" * 20]
    return [{}] + [{"Authorization": value} for value in values]


def test_every_wrong_secret_gets_the_same_401_and_stores_nothing(app: Flask,
                                                                 lecture: dict) -> None:
    client = app.test_client()
    before = lecture["world"].footprint()
    bodies = set()
    for headers in refused_headers(lecture):
        for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/me/export"),
                             ("POST", "/api/v1/me/decisions"), ("DELETE", "/api/v1/me")):
            response = client.open(path, method=method, headers=headers, json={
                "event_id": new_event_id(), "choices": {"notes_email": "withdrawn"}})
            body = assert_problem(response, 401)
            bodies.add(json.dumps(body, sort_keys=True))
    assert len(bodies) == 1
    assert json.loads(bodies.pop())["detail"] == participant_access.REFUSAL
    assert lecture["world"].footprint() == before


_HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=300)


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.one_of(
    _HEADER_TEXT,
    st.builds(lambda s: f"Participant {s}", _HEADER_TEXT),
    st.builds(lambda pid, s: f"Participant {pid}.{s}",
              st.from_regex(r"p_[0-9a-f]{32}", fullmatch=True), _HEADER_TEXT),
))
def test_malformed_authorization_headers_get_the_same_401(app: Flask, lecture: dict,
                                                           header: str) -> None:
    if header.strip() == f"Participant {lecture['ann'].resume}":
        return
    response = app.test_client().get("/api/v1/me", headers={"Authorization": header})
    body = assert_problem(response, 401)
    assert body["detail"] == participant_access.REFUSAL and body["code"] == "unauthorized"


def test_a_participant_of_one_call_gets_only_their_own_data(lecture: dict) -> None:
    bob: Manage = lecture["bob"]
    me = bob.get().get_json()
    assert me["fields"] == {"display_name": "Bob"}
    assert CANARY_NAME not in json.dumps(me) and CANARY_EMAIL not in json.dumps(me)


def test_failed_secrets_are_rate_limited(database_url: str, tmp_path: Path,
                                         lecture: dict) -> None:
    limited = make_app(database_url, tmp_path / "limited", AUTH_FAILURE_LIMIT="3/minute")
    try:
        client = limited.test_client()
        wrong = {"Authorization": f"Participant {lecture['ann'].resume}x"}
        statuses = [client.get("/api/v1/me", headers=wrong).status_code for _ in range(5)]
        assert statuses == [401, 401, 401, 429, 429]
    finally:
        limited.extensions["widget_db"].dispose()


# --- secrets in the query string ------------------------------------------------------------


@pytest.mark.parametrize("name", SECRET_PARAMETERS)
def test_a_secret_in_the_query_is_refused_and_never_logged(app: Flask, lecture: dict,
                                                           name: str) -> None:
    ann: Manage = lecture["ann"]
    secret = ann.resume.split(".", 1)[1]
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger, handler = logging.getLogger("widget_server"), Capture()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    app.wsgi_app = logs.access_log(app.wsgi_app)  # type: ignore[method-assign]
    before = ledger_rows(lecture)
    try:
        client = app.test_client()
        for response in (
                client.get(f"/api/v1/me?{name}={secret}"),
                client.get(f"/api/v1/me/export?{name}={ann.resume}", headers=ann.headers),
                client.delete(f"/api/v1/me?{name}={secret}", headers=ann.headers),
                client.post(f"/api/v1/me/decisions?{name}={secret}", headers=ann.headers,
                            json={"event_id": new_event_id(),
                                  "choices": {"notes_email": "withdrawn"}})):
            body = assert_problem(response, 400)
            assert body["code"] == "secret_in_query"
            assert secret not in response.get_data(as_text=True)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert ledger_rows(lecture) == before
    assert ann.get().get_json()["fields"]["email"] == CANARY_EMAIL  # not erased
    assert lines and all(secret not in line for line in lines)
    assert any('"/api/v1/me"' in line and '"400"' in line for line in lines)


def test_other_query_parameters_are_refused_by_name(lecture: dict) -> None:
    body = assert_problem(lecture["ann"].get("/api/v1/me?colour=blue"), 422)
    assert "colour" in body["errors"]


# --- decisions ------------------------------------------------------------------------------


def test_a_withdrawal_after_the_end_is_recorded_with_channel_manage_and_erases(
        app: Flask, api: Api, lecture: dict) -> None:
    ann: Manage = lecture["ann"]
    assert api.post(f"/api/v1/calls/{lecture['call']['id']}/end").status_code == 200
    response = ann.decide({"notes_email": "withdrawn"})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["state"]["notes_email"] == "withdrawn" and answer["held"] == ["display_name"]
    assert set(answer["receipt"]) == {"id", "seq", "hash"}
    me = ann.get().get_json()
    assert me["fields"] == {"display_name": CANARY_NAME}
    assert (me["events"][-1]["state"], me["events"][-1]["channel"]) == ("withdrawn", "manage")
    assert me["call"]["status"] == "ended"
    assert me["rights"]["grant"] is False and me["rights"]["withdraw_or_object"] is True
    assert me["rights"]["decisions_until"] is not None
    assert verifies(app)


@pytest.mark.parametrize("choices", [{"recording": "granted"}, {"attendance": "not_objected"},
                                     {"notes_email": "withdrawn", "recording": "granted"}])
def test_turning_anything_on_after_the_end_is_409_call_ended(api: Api, lecture: dict,
                                                             choices: dict) -> None:
    ann: Manage = lecture["ann"]
    if "attendance" in choices:
        assert ann.decide({"attendance": "objected", "recording": "withdrawn"}
                          ).status_code == 200
    api.post(f"/api/v1/calls/{lecture['call']['id']}/end")
    before = lecture["world"].footprint()
    body = assert_problem(ann.decide(choices), 409)
    assert body["code"] == "call_ended"
    assert lecture["world"].footprint() == before


def test_decisions_after_retention_are_409_retention_passed(api: Api, lecture: dict) -> None:
    ann: Manage = lecture["ann"]
    api.post(f"/api/v1/calls/{lecture['call']['id']}/end")
    lecture["world"].sql("UPDATE call SET ended_at = '2020-01-01 00:00:00' WHERE id = :id",
                         id=lecture["call"]["id"])
    before = lecture["world"].footprint()
    body = assert_problem(ann.decide({"notes_email": "withdrawn"}), 409)
    assert body["code"] == "retention_passed" and "retention" in body["detail"]
    assert lecture["world"].footprint() == before
    assert ann.get().get_json()["rights"]["withdraw_or_object"] is False


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"event_id": "not-a-uuid", "choices": {"notes_email": "withdrawn"}}, 422, "event_id"),
    ({"event_id": 7, "choices": {"notes_email": "withdrawn"}}, 422, "event_id"),
    ({"choices": {"notes_email": "withdrawn"}}, 422, "event_id"),
    ({"event_id": new_event_id()}, 422, "choices"),
    ({"event_id": new_event_id(), "choices": {}}, 422, "choices"),
    ({"event_id": new_event_id(), "choices": []}, 422, "choices"),
    ({"event_id": new_event_id(), "choices": {"nope": "granted"}}, 422, "nope"),
    ({"event_id": new_event_id(), "choices": {"service": "granted"}}, 422, "service"),
    ({"event_id": new_event_id(), "choices": {"recording": "maybe"}}, 422, "recording"),
    ({"event_id": new_event_id(), "choices": {"notes_email": "x\x00"}}, 422, "choices"),
    ({"event_id": new_event_id(), "choices": {"notes_email": "withdrawn"}, "extra": 1}, 422,
     "extra"),
    ({"event_id": new_event_id(), "choices": {"notes_email": "withdrawn"},
      "fields": {"phone": "+44 20 7946 0958"}}, 422, "phone"),
    ({"event_id": new_event_id(), "choices": {"notes_email": "withdrawn"},
      "seen": {"notice_hash": "sha256:" + "0" * 64}}, 409, "seen"),
])
def test_bad_decisions_are_refused_naming_the_field_and_store_nothing(
        lecture: dict, body: dict, status: int, field: str) -> None:
    ann: Manage = lecture["ann"]
    before = lecture["world"].footprint()
    response = ann.client.post("/api/v1/me/decisions", headers=ann.headers, json=body)
    problem = assert_problem(response, status)
    assert field in problem.get("errors", {}), problem
    assert lecture["world"].footprint() == before


def test_a_body_that_is_not_json_is_400(lecture: dict) -> None:
    ann: Manage = lecture["ann"]
    response = ann.client.post("/api/v1/me/decisions", headers={
        **ann.headers, "Content-Type": "application/json"}, data="{not json")
    assert_problem(response, 400)


def test_a_decision_is_idempotent_on_its_event_id(lecture: dict) -> None:
    ann: Manage = lecture["ann"]
    event_id = new_event_id()
    first = ann.decide({"notes_email": "withdrawn"}, event_id=event_id).get_json()
    rows = ledger_rows(lecture)
    again = ann.decide({"notes_email": "withdrawn"}, event_id=event_id.upper())
    assert again.status_code == 200 and again.get_json() == first
    assert ledger_rows(lecture) == rows


def test_while_the_call_is_open_the_manage_link_may_grant(lecture: dict) -> None:
    bob: Manage = lecture["bob"]
    response = bob.decide({"notes_email": "granted"}, fields={"email": "bob@example.org"})
    assert response.status_code == 200, response.get_json()
    assert bob.get().get_json()["fields"]["email"] == "bob@example.org"


# --- erasure --------------------------------------------------------------------------------


def test_delete_me_erases_everything_once_and_the_ledger_verifies(app: Flask,
                                                                  lecture: dict) -> None:
    ann: Manage = lecture["ann"]
    rows = ledger_rows(lecture)
    first = ann.delete()
    assert first.status_code == 200
    answer = first.get_json()
    assert answer["erased"] == ["display_name", "email"] and answer["recorded"] is True
    assert ledger_rows(lecture) == rows + 1
    me = ann.get().get_json()
    assert me["fields"] == {}
    last = me["events"][-1]
    assert (last["purpose"], last["state"], last["channel"]) == (None, "erased", "manage")
    assert answer["ledger"] == {"seq": last["seq"], "hash": last["hash"]}
    assert me["state"]["recording"] == "granted"  # the choices stand; the data went
    second = ann.delete()
    assert second.status_code == 200
    assert second.get_json() == {"erased": [], "held": [], "recorded": False, "ledger": None}
    assert ledger_rows(lecture) == rows + 1
    assert verifies(app)
    text = lecture["world"].footprint()
    assert CANARY_NAME not in str(text) and CANARY_EMAIL not in str(text)


def test_delete_me_in_an_open_call_shows_hosts_a_pseudonym(api: Api, lecture: dict) -> None:
    ann: Manage = lecture["ann"]
    call_id = lecture["call"]["id"]
    assert ann.delete().status_code == 200
    roster = api.get(f"/api/v1/calls/{call_id}/participants").get_json()
    labels = {p["id"]: p["label"] for p in roster["participants"]}
    assert labels[ann.id] == "Participant 1"
    updates = lecture["world"].updates_since(call_id, 0)["updates"]
    assert updates[-1]["kind"] == "erased" and updates[-1]["participant"]["id"] == ann.id
    assert CANARY_NAME not in json.dumps(updates)


def test_delete_me_after_the_end_works(app: Flask, api: Api, lecture: dict) -> None:
    ann: Manage = lecture["ann"]
    api.post(f"/api/v1/calls/{lecture['call']['id']}/end")
    assert ann.delete().get_json()["erased"] == ["display_name", "email"]
    assert verifies(app)
