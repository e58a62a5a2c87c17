"""A real server, a real Socket.IO processor and real participants (CONTRACT §D): the plan on
connect, a new plan after a withdrawal in which that participant is no longer allowed and their
data is gone, the same on the next REST poll, `applied` seen by hosts, revocation closing the
connection; grant tokens refused on /participant and /host."""

import time
from typing import Any

import pytest
import requests
import socketio

from tests.e2e.harness import Host, Org, Participant, Processor, Server

EMAIL = "ann.e2e@example.org"


def grant(org: Org, call_id: str, purpose: str | None = "notes_email",
          role: str = "processor") -> dict[str, Any]:
    return org.post(f"/api/v1/calls/{call_id}/grants",
                    {"purpose": purpose, "name": "Notes mailer", "role": role})


def entry(plan: dict[str, Any], pid: str | None) -> dict[str, Any] | None:
    return next((p for p in plan["participants"] if p["id"] == pid), None)


def allowed(plan: dict[str, Any], pid: str | None) -> bool:
    found = entry(plan, pid)
    return found is not None and found["allowed"]


def test_a_withdrawal_reaches_the_processor_and_the_polling_pipeline(
        server: Server, org: Org, call: dict) -> None:
    made = grant(org, call["id"])
    bot = Processor(server.url, made["token"])
    assert bot.plan["purpose"] == "notes_email" and bot.plan["participants"] == []
    ann = Participant(server.url, call["widget"]["token"])
    bob = Participant(server.url, call["widget"]["token"])
    ann.join({"display_name": "Ann"}, ref="meet-ann")
    bob.join({"display_name": "Bob"}, ref="meet-bob")
    assert ann.decide({"notes_email": "granted"}, {"email": EMAIL})["ok"]
    assert bob.decide({"recording": "granted"})["ok"]
    bot.wait_for(lambda: allowed(bot.plan, ann.id))
    assert entry(bot.plan, ann.id) == {"id": ann.id, "ref": "meet-ann", "state": "granted",
                                       "present": True, "allowed": True,
                                       "fields": {"email": EMAIL}}
    assert entry(bot.plan, bob.id) == {"id": bob.id, "ref": "meet-bob", "state": "pending",
                                       "present": True, "allowed": False}
    assert "Ann" not in str(bot.plan)  # the name is another purpose's data

    acknowledged = time.monotonic()
    assert ann.decide({"notes_email": "withdrawn"})["ok"]
    bot.wait_for(lambda: entry(bot.plan, ann.id) is not None
                 and not allowed(bot.plan, ann.id), timeout=5)
    assert bot.arrivals[-1] - acknowledged < 2.0
    assert entry(bot.plan, ann.id) == {"id": ann.id, "ref": "meet-ann", "state": "withdrawn",
                                       "present": True, "allowed": False}
    assert EMAIL not in str(bot.plan) and bot.plan["allowed"] is False

    polled = requests.get(f"{server.url}/api/v1/processing/plan", timeout=10,
                          headers={"Authorization": f"Bearer {made['token']}"})
    assert polled.status_code == 200
    assert entry(polled.json(), ann.id)["allowed"] is False  # type: ignore[index]
    assert EMAIL not in polled.text
    for client in (bot, ann, bob):
        client.close()


def test_applied_reaches_the_hosts_and_revocation_closes_the_connection(
        server: Server, org: Org, call: dict) -> None:
    made = grant(org, call["id"], "recording")
    host = Host(server.url, call["host"]["token"])
    processors: list[dict[str, Any]] = []
    host.client.on("processors", processors.append, namespace="/host")
    bot = Processor(server.url, made["token"])
    answer = bot.applied(bot.plan["seq"])
    assert answer["ok"], answer
    host.wait_for(lambda: any(p["items"] and p["items"][0]["last_applied_seq"] ==
                              bot.plan["seq"] for p in processors))
    listed = org.get(f"/api/v1/calls/{call['id']}/grants")
    assert listed[0]["last_applied_seq"] == bot.plan["seq"]

    response = org.http.delete(f"{server.url}/api/v1/calls/{call['id']}/grants/{made['id']}",
                               timeout=10)
    assert response.status_code == 200
    bot.wait_for(lambda: not bot.client.connected, timeout=5)
    with pytest.raises(socketio.exceptions.ConnectionError):
        Processor(server.url, made["token"])
    host.close()


@pytest.mark.parametrize("namespace", ["/participant", "/host"])
def test_a_grant_token_is_refused_on_the_other_namespaces(server: Server, org: Org, call: dict,
                                                          namespace: str) -> None:
    token = grant(org, call["id"])["token"]
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, namespaces=[namespace], auth={"token": token},
                       transports=["websocket"], wait_timeout=5)
    client.disconnect()


def test_widget_and_host_tokens_are_refused_on_processor(server: Server, call: dict) -> None:
    for token in (call["widget"]["token"], call["host"]["token"]):
        with pytest.raises(socketio.exceptions.ConnectionError):
            Processor(server.url, token)
