"""Dial-in over REST (CONTRACT §E): the phone bridge, with its telephony token, brings callers
in, turns their keys into decisions on the widget's write path (channel `phone`) and hangs
them up; every bad input is refused, naming what is wrong, and stores nothing."""

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.api.conftest import Api, assert_problem
from tests.phone_support import E164, NUMBER, phone_notice, step
from widget_server.domain.models import DecisionEvent, Participant
from widget_server.services import live
from widget_server.services.live.presence import away_commands, present_in_open_calls


class Bridge:
    """The phone bridge's client: the telephony token of one call."""

    def __init__(self, api: Api, call: dict[str, Any]) -> None:
        made = api.post(f"/api/v1/calls/{call['id']}/grants",
                        {"purpose": None, "role": "telephony", "name": "Bridge"})
        assert made.status_code == 201, made.get_json()
        self.client, self.grant, self.call = api.client, made.get_json(), call
        self.api_key = api.headers["Authorization"].split(" ", 1)[1]
        self.headers = {"Authorization": f"Bearer {self.grant['token']}"}

    def join(self, caller: str = NUMBER, **extra: Any) -> Any:
        return self.client.post("/api/v1/phone/participants", headers=self.headers,
                                json={"caller": caller, **extra})

    def joined(self, caller: str = NUMBER, **extra: Any) -> dict[str, Any]:
        response = self.join(caller, **extra)
        assert response.status_code == 201, response.get_json()
        return dict(response.get_json())

    def script(self, pid: str, query: str = "") -> Any:
        return self.client.get(f"/api/v1/phone/participants/{pid}/script{query}",
                               headers=self.headers)

    def keys(self, pid: str, step_id: str, digits: str, **extra: Any) -> Any:
        return self.client.post(f"/api/v1/phone/participants/{pid}/keys", headers=self.headers,
                                json={"step": step_id, "digits": digits, **extra})

    def press(self, pid: str, name: str, digits: str, **extra: Any) -> dict[str, Any]:
        script = self.script(pid).get_json()
        response = self.keys(pid, step(script, name), digits, **extra)
        assert response.status_code == 200, response.get_json()
        return dict(response.get_json())

    def hang_up(self, pid: str) -> Any:
        return self.client.delete(f"/api/v1/phone/participants/{pid}", headers=self.headers)


def open_call(api: Api, notice: dict[str, Any] | None = None) -> dict[str, Any]:
    return api.call(api.notice(notice or phone_notice())["id"])


@pytest.fixture
def bridge(api: Api) -> Bridge:
    return Bridge(api, open_call(api))


def person(app: Flask, pid: str) -> Participant:
    with app.extensions["widget_db"].read_session() as session:
        found = session.get(Participant, pid)
        assert found is not None
        session.expunge(found)
        return found


def events(app: Flask) -> list[DecisionEvent]:
    with app.extensions["widget_db"].read_session() as session:
        rows = list(session.scalars(select(DecisionEvent).order_by(DecisionEvent.seq)))
        session.expunge_all()
        return rows


def participants(app: Flask) -> int:
    with app.extensions["widget_db"].read_session() as session:
        return int(session.scalar(select(func.count()).select_from(Participant)) or 0)


def test_a_caller_joins_present_blocking_with_a_masked_label(
        app: Flask, api: Api, bridge: Bridge) -> None:
    joined = bridge.joined(language="de")
    assert joined["label"] == "Phone ••56" and joined["present"] is True
    assert joined["language"] == "de"
    row = person(app, joined["id"])
    # No purpose needs `phone`: the number is not kept, only the label's two digits.
    assert (row.phone, row.display_name, row.channel, row.ref) == (None, None, "phone",
                                                                   "Phone ••56")
    [served] = events(app)
    assert (served.state, served.channel, served.language) == ("notice_served", "phone", "de")
    gate = api.get(f"/api/v1/calls/{bridge.call['id']}/gate").get_json()
    assert gate["recording_allowed"] is False and gate["blocking_participants"] == [joined["id"]]
    roster = api.get(f"/api/v1/calls/{bridge.call['id']}/participants").get_json()
    assert [(p["label"], p["channel"], p["present"]) for p in roster["participants"]] == [
        ("Phone ••56", "phone", True)]


def test_keys_become_decisions_on_the_phone_channel_and_open_the_gate(
        app: Flask, api: Api, bridge: Bridge) -> None:
    pid = bridge.joined()["id"]
    moved = bridge.press(pid, "notice", "1")
    assert moved["outcome"] == "continue" and moved["recorded"] == {}
    assert moved["next"].endswith(":purpose.recording") and "Press 1" in moved["say"]
    granted = bridge.press(pid, "purpose.recording", "1")
    assert granted["outcome"] == "recorded" and granted["recorded"] == {"recording": "granted"}
    assert granted["state"]["recording"] == "granted" and granted["receipt"]["seq"] == 2
    assert granted["next"].endswith(":purpose.attendance")
    stayed = bridge.press(pid, "purpose.attendance", "1")
    assert stayed["recorded"] == {"attendance": "not_objected"}
    assert "Recording (en): accepted" in stayed["say"]  # the confirmation says what is recorded
    assert [(e.purpose, e.state, e.channel) for e in events(app)] == [
        (None, "notice_served", "phone"), ("recording", "granted", "phone"),
        ("attendance", "not_objected", "phone")]
    ledger = api.get(f"/api/v1/calls/{bridge.call['id']}/decisions").get_json()["items"]
    assert {item["channel"] for item in ledger} == {"phone"}
    gate = api.get(f"/api/v1/calls/{bridge.call['id']}/gate").get_json()
    assert gate["recording_allowed"] is True
    # Declining what was granted is withdrawing it, with the same key.
    assert bridge.press(pid, "purpose.recording", "2")["recorded"] == {"recording": "withdrawn"}
    # 0 on the confirmation goes back to the first choice.
    back = bridge.press(pid, "confirm", "0")
    assert back["outcome"] == "restart" and back["next"].endswith(":purpose.recording")


def test_a_retried_key_with_its_event_id_records_once(app: Flask, bridge: Bridge) -> None:
    pid = bridge.joined()["id"]
    event_id = "6f1c1f4e-2b7a-4f5e-9f38-5d6b2b0a1c11"
    first = bridge.press(pid, "purpose.recording", "1", event_id=event_id)
    again = bridge.press(pid, "purpose.recording", "1", event_id=event_id)
    assert first["receipt"] == again["receipt"]
    assert len(events(app)) == 2


@pytest.mark.parametrize("digits", ["7", "#", "12"])
def test_digits_outside_the_prompt_reprompt_and_record_nothing(
        app: Flask, bridge: Bridge, digits: str) -> None:
    pid = bridge.joined()["id"]
    script = bridge.script(pid).get_json()
    answer = bridge.press(pid, "purpose.recording", digits)
    recording = next(s for s in script["steps"] if s["id"] == answer["step"])
    assert answer["outcome"] == "reprompt" and answer["recorded"] == {}
    assert answer["next"] == answer["step"] and answer["receipt"] is None
    assert answer["say"].startswith("That key is not one of the choices.")
    assert answer["say"].endswith(recording["say"])
    assert len(events(app)) == 1  # the join's notice_served only


def test_star_repeats_the_step(app: Flask, bridge: Bridge) -> None:
    pid = bridge.joined()["id"]
    answer = bridge.press(pid, "purpose.attendance", "*")
    assert answer["outcome"] == "repeat" and answer["next"] == answer["step"]
    assert len(events(app)) == 1


def test_an_unknown_step_or_another_callers_step_is_refused(app: Flask, bridge: Bridge
                                                            ) -> None:
    ada, bob = bridge.joined()["id"], bridge.joined("+44 20 7946 0018")["id"]
    bobs = bridge.script(bob).get_json()
    for step_id, detail in [(f"{ada}:purpose.nothing", "Unknown step."), ("nothing", "Unknown "
                            "step."), (step(bobs, "purpose.recording"), "A step of another "
                                                                         "caller.")]:
        body = assert_problem(bridge.keys(ada, step_id, "1"), 422)
        assert body["errors"] == {"step": [detail]}
    assert_problem(bridge.script(ada, "?step=nothing"), 422)
    assert len(events(app)) == 2


@pytest.mark.parametrize("digits", ["", "a", "123456789", "1 "])
def test_digits_that_are_not_keypad_digits_are_refused(bridge: Bridge, digits: str) -> None:
    pid = bridge.joined()["id"]
    script = bridge.script(pid).get_json()
    body = assert_problem(bridge.keys(pid, step(script, "notice"), digits), 422)
    assert "digits" in body["errors"]


def test_keys_after_the_hang_up_or_the_calls_end_are_refused(
        app: Flask, api: Api, bridge: Bridge) -> None:
    pid = bridge.joined()["id"]
    recording = step(bridge.script(pid).get_json(), "purpose.recording")
    gone = bridge.hang_up(pid)
    assert gone.status_code == 200 and gone.get_json() == {
        "id": pid, "label": "Phone ••56", "present": False}
    assert bridge.hang_up(pid).status_code == 200  # idempotent
    assert assert_problem(bridge.keys(pid, recording, "1"), 409)["code"] == "hung_up"
    other = bridge.joined()["id"]
    other_step = step(bridge.script(other).get_json(), "purpose.recording")
    assert api.post(f"/api/v1/calls/{bridge.call['id']}/end").status_code == 200
    assert assert_problem(bridge.keys(other, other_step, "1"), 409)["code"] == "call_ended"
    assert assert_problem(bridge.join(), 409)["code"] == "call_ended"
    assert [e.state for e in events(app)] == ["notice_served", "notice_served"]


@pytest.mark.parametrize("caller", [
    "not a number",                 # does not parse
    "+49 30 FLOWERS",               # letters (libphonenumber would read them as a keypad)
    "+49 30 1234 5678 9012 3456 7890 12",  # over-long (characters)
    "+49301234567890123456",        # too many digits for any number
    "030 901820",                   # not international
    "+",
    "",
])
def test_a_caller_number_that_is_no_number_is_refused(app: Flask, bridge: Bridge,
                                                      caller: str) -> None:
    body = assert_problem(bridge.join(caller), 422)
    assert list(body["errors"]) == ["caller"]
    assert participants(app) == 0 and events(app) == []


def test_a_number_kept_while_a_purpose_needs_it_and_erased_on_objection(
        app: Flask, api: Api) -> None:
    bridge = Bridge(api, open_call(api, phone_notice(phone_basis="legitimate_interests")))
    pid = bridge.joined()["id"]
    assert person(app, pid).phone == E164
    objected = bridge.press(pid, "purpose.callback", "9")
    assert objected["recorded"] == {"callback": "objected"}
    assert person(app, pid).phone is None


def test_a_number_only_a_consent_needs_is_kept_from_the_grant_to_the_withdrawal(
        app: Flask, api: Api) -> None:
    bridge = Bridge(api, open_call(api, phone_notice(phone_basis="consent")))
    pid = bridge.joined()["id"]
    assert person(app, pid).phone is None  # asked with the grant, not at join
    # The grant needs the number: without it, refused naming `caller`, nothing recorded.
    script = bridge.script(pid).get_json()
    body = assert_problem(bridge.keys(pid, step(script, "purpose.callback"), "1"), 422)
    assert body["code"] == "missing_field" and list(body["errors"]) == ["caller"]
    # A key that does not need it leaves the number out, unstored.
    bridge.press(pid, "purpose.recording", "1", caller=NUMBER)
    assert person(app, pid).phone is None
    bridge.press(pid, "purpose.callback", "1", caller=NUMBER)
    assert person(app, pid).phone == E164
    bridge.press(pid, "purpose.callback", "2", caller=NUMBER)
    assert person(app, pid).phone is None


def test_a_name_is_taken_only_where_a_purpose_needs_one(app: Flask, api: Api,
                                                        bridge: Bridge) -> None:
    body = assert_problem(bridge.join(name="Ada Lovelace"), 422)
    assert body["code"] == "unexpected_field" and list(body["errors"]) == ["name"]
    assert participants(app) == 0
    lecture = Bridge(api, api.call())  # attendance needs display_name at join
    named = lecture.joined(name="Ada Lovelace")
    assert named["label"] == "Ada Lovelace"
    assert person(app, named["id"]).display_name == "Ada Lovelace"
    unnamed = lecture.joined("+44 20 7946 0018")  # a bridge may know no name: not demanded
    assert unnamed["label"] == "Phone ••18"


def test_the_token_must_be_a_telephony_token_of_this_call(
        app: Flask, api: Api, bridge: Bridge) -> None:
    pid = bridge.joined()["id"]
    other_call = open_call(api)
    other = Bridge(api, other_call)
    # Another call's caller is not found with this token; naming another call is forbidden.
    assert_problem(other.script(pid), 404)
    assert_problem(other.keys(pid, f"{pid}:notice", "1"), 404)
    assert_problem(other.hang_up(pid), 404)
    assert assert_problem(bridge.join(call_id=other_call["id"]), 403)["code"] == "wrong_call"
    # An API key, a processor's token, no token: the same refusal.
    processor = api.post(f"/api/v1/calls/{bridge.call['id']}/grants",
                         {"purpose": "recording", "name": "Bot"}).get_json()["token"]
    for headers in (api.headers, {"Authorization": f"Bearer {processor}"}, {}):
        assert_problem(api.client.get(f"/api/v1/phone/participants/{pid}/script",
                                      headers=headers), 401)
    # A widget participant is nobody the bridge can drive.
    with app.extensions["widget_db"].session() as session:
        widget, _ = live.apply_one(session, live.Join(
            call_id=bridge.call["id"], seen_hash=bridge.call["notice"]["content_hash"]))
    assert_problem(bridge.script(widget["participant"]["id"]), 404)
    # Revoked: refused from then on.
    revoked = api.client.delete(f"/api/v1/calls/{bridge.call['id']}/grants/"
                                f"{bridge.grant['id']}", headers=api.headers)
    assert revoked.status_code in (200, 204)
    assert_problem(bridge.script(pid), 401)
    assert_problem(bridge.join(), 401)
    assert participants(app) == 2


def test_a_token_in_the_query_string_is_refused(bridge: Bridge) -> None:
    response = bridge.client.get(
        f"/api/v1/phone/participants/p_x/script?token={bridge.grant['token']}",
        headers=bridge.headers)
    assert assert_problem(response, 400)["code"] == "secret_in_query"


def test_a_restart_or_the_ghost_check_leaves_callers_present(app: Flask, bridge: Bridge) -> None:
    """Their bridge, not a socket of this process, holds a caller's presence: a restart (which
    sends every socket participant away) and the ghost check do not touch them."""
    pid = bridge.joined()["id"]
    with app.extensions["widget_db"].session() as session:
        assert present_in_open_calls(session) == []
        assert away_commands(session) == []
        session.commit()
    assert person(app, pid).present is True and person(app, pid).connections == 1
    assert bridge.hang_up(pid).get_json()["present"] is False
