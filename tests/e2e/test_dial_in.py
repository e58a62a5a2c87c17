"""Dial-in end to end (issue 14): a simulated phone bridge — a client of the REST API, as a
real bridge is — brings 20 callers into a call with widget participants and a host, against a
real server process. Their keys become the right ledger events (channel `phone`), the host
sees them live with their labels, and the gate stays blocked until the last caller answers."""

from typing import Any

import requests

from tests.e2e.harness import Host, Org, Participant, Server
from tests.phone_support import LANGUAGES, phone_notice

CALLERS = 20


class Bridge:
    """The phone bridge: its telephony token, and what it tells the server of each caller."""

    def __init__(self, server: Server, org: Org, call_id: str) -> None:
        grant = org.post(f"/api/v1/calls/{call_id}/grants",
                         {"purpose": None, "role": "telephony", "name": "Phone bridge"})
        self.base = server.url + "/api/v1/phone/participants"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {grant['token']}"

    def join(self, number: str, language: str) -> dict[str, Any]:
        response = self.http.post(self.base, json={"caller": number, "language": language},
                                  timeout=10)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def script(self, pid: str) -> dict[str, Any]:
        response = self.http.get(f"{self.base}/{pid}/script", timeout=10)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def press(self, pid: str, step_id: str, digits: str) -> dict[str, Any]:
        response = self.http.post(f"{self.base}/{pid}/keys",
                                  json={"step": step_id, "digits": digits}, timeout=10)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def follow(self, pid: str, keys: list[str]) -> list[dict[str, Any]]:
        """Press each key at the step the previous answer named, as a caller is led."""
        step_id = self.script(pid)["steps"][0]["id"]
        answers = []
        for digits in keys:
            answer = self.press(pid, step_id, digits)
            answers.append(answer)
            step_id = answer["next"]
        return answers

    def hang_up(self, pid: str) -> None:
        assert self.http.delete(f"{self.base}/{pid}", timeout=10).status_code == 200


def keys_of(i: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Caller i's key presses, and the decisions they must record, in order. The last key of
    every sequence leaves both gating purposes allowing recording."""
    if i % 4 == 1:  # declines, hears the confirmation, changes their mind
        return (["1", "2", "1", "0", "1"],
                [("recording", "denied"), ("attendance", "not_objected"),
                 ("recording", "granted")])
    if i % 4 == 2:  # presses keys that fit no prompt (re-prompted, nothing recorded), repeats
        return (["5", "1", "#", "*", "9", "1", "7", "1"],
                [("recording", "granted"), ("attendance", "not_objected")])
    if i % 4 == 3:  # objects, then takes it back from the confirmation
        return (["1", "1", "9", "0", "1", "1"],
                [("recording", "granted"), ("attendance", "objected"),
                 ("recording", "granted"), ("attendance", "not_objected")])
    return ["1", "1", "1"], [("recording", "granted"), ("attendance", "not_objected")]


def test_twenty_callers_with_widget_participants_and_a_host(server: Server, org: Org) -> None:
    call = org.open_call(phone_notice())
    host = Host(server.url, call["host"]["token"])
    widgets = [Participant(server.url, call["widget"]["token"]) for _ in range(2)]
    for widget in widgets:
        widget.join()
        assert widget.decide({"recording": "granted"})["ok"]
    bridge = Bridge(server, org, call["id"])
    numbers = [f"+49 30 901820 {i + 10:02d}" for i in range(CALLERS)]
    callers = [bridge.join(number, LANGUAGES[i % 5]) for i, number in enumerate(numbers)]
    assert [c["label"] for c in callers] == [f"Phone ••{i + 10:02d}" for i in range(CALLERS)]
    gate = org.get(f"/api/v1/calls/{call['id']}/gate")
    assert gate["recording_allowed"] is False and gate["blocking"] == CALLERS

    expected: dict[str, list[tuple[str | None, str]]] = {}
    for i, caller in enumerate(callers):
        if i == CALLERS - 1:
            # Everyone else has answered: the last caller alone holds recording up.
            gate = org.get(f"/api/v1/calls/{call['id']}/gate")
            assert gate["blocking_participants"] == [caller["id"]]
            assert gate["recording_allowed"] is False
        keys, decisions = keys_of(i)
        answers = bridge.follow(caller["id"], keys)
        assert [tuple(kv) for a in answers for kv in a["recorded"].items()] == decisions
        assert answers[-1]["state"]["recording"] == "granted"
        expected[caller["id"]] = [(None, "notice_served"), *decisions]
    gate = org.get(f"/api/v1/calls/{call['id']}/gate")
    assert gate["recording_allowed"] is True and gate["blocking"] == 0

    # The ledger: each caller's keys, in order, on the phone channel.
    ledger = org.get(f"/api/v1/calls/{call['id']}/decisions")["items"]
    for pid, events in expected.items():
        mine = [e for e in ledger if e["participant_id"] == pid]
        assert [(e["purpose"], e["state"]) for e in mine] == events
        assert {e["channel"] for e in mine} == {"phone"}
    assert {e["channel"] for e in ledger if e["participant_id"] not in expected} == {"widget"}

    # The host saw it all live: every caller's join and decisions, labelled, in order.
    decisions = sum(len(events) - 1 for events in expected.values())
    wanted = 2 * 2 + CALLERS + decisions
    host.wait_for(lambda: len(host.updates) >= wanted)
    phone = [u for u in host.updates if u["participant"]["channel"] == "phone"]
    assert len(phone) == CALLERS + decisions
    labels = {u["participant"]["id"]: u["participant"]["label"] for u in phone}
    assert labels == {c["id"]: c["label"] for c in callers}
    assert [u["seq"] for u in host.updates] == list(
        range(host.updates[0]["seq"], host.updates[0]["seq"] + wanted))
    assert host.updates[-1]["gate"] == {"recording_allowed": True, "blocking": 0}
    # From the first caller's join, blocked through every update until the last caller's
    # answer opened it.
    opened = next(u for u in host.updates
                  if u["seq"] >= phone[0]["seq"] and u["gate"]["recording_allowed"])
    assert (opened["kind"], opened["participant"]["id"]) == ("decision", callers[-1]["id"])

    # Hang-ups reach the host as leaves; the roster keeps the label and the channel.
    bridge.hang_up(callers[0]["id"])
    host.wait_for(lambda: host.updates[-1]["kind"] == "left")
    assert host.updates[-1]["participant"]["label"] == "Phone ••10"
    roster = org.get(f"/api/v1/calls/{call['id']}/participants")["participants"]
    by_id = {p["id"]: p for p in roster}
    assert (by_id[callers[0]["id"]]["present"], by_id[callers[0]["id"]]["channel"]) == (
        False, "phone")
    for client in (*widgets, host):
        client.close()
