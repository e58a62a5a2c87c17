"""Abuse limits, and logs that never carry personal data or tokens."""

import uuid

from tests.e2e.harness import Host, Org, Participant, Server

CANARY_NAME = "Zebulon Quincewhistle"
CANARY_EMAIL = "canary.zq@example.org"


def test_a_flood_is_answered_with_errors_then_cut_off(server: Server, call: dict) -> None:
    person = Participant(server.url, call["widget"]["token"])
    person.join({"display_name": "Flood"})
    answers: list[dict] = []
    for _ in range(120):
        person.emit("decide", {"event_id": str(uuid.uuid4()),
                               "choices": {"recording": "denied"}}, callback=answers.append)
    watcher = Host(server.url, call["host"]["token"])
    watcher.wait_for(lambda: not person.client.connected, timeout=30)
    codes = [a["error"]["code"] for a in answers if not a["ok"]]
    assert codes and set(codes) == {"rate_limited"}
    assert len(answers) < 120, "the flood was not cut off"
    watcher.close()


def test_an_oversized_message_is_refused(server: Server, call: dict) -> None:
    person = Participant(server.url, call["widget"]["token"])
    person.join({"display_name": "Big"})
    person.emit("decide", {"event_id": "x", "choices": {"recording": "granted"},
                           "fields": {"email": "a" * 100_000}})
    host = Host(server.url, call["host"]["token"])
    host.wait_for(lambda: not person.client.connected, timeout=15)
    host.close()


def test_canary_values_appear_in_no_log_line(server: Server, org: Org, call: dict) -> None:
    token = call["widget"]["token"]
    person = Participant(server.url, token)
    person.join({"display_name": CANARY_NAME})
    # Refusals carry the values too: an unexpected field, a bad email, an unknown purpose.
    assert not person.decide({"recording": "granted"}, fields={"email": CANARY_EMAIL})["ok"]
    assert not person.decide({"notes_email": "granted"},
                             fields={"email": CANARY_NAME})["ok"]
    assert not person.decide({CANARY_NAME: "granted"})["ok"]
    assert person.decide({"notes_email": "granted", "recording": "granted"},
                         fields={"email": CANARY_EMAIL})["ok"]
    second = Participant(server.url, token)
    assert not second.call("join", {"fields": {"display_name": CANARY_NAME,
                                               "email": CANARY_EMAIL},
                                    "seen": {"notice_hash": call["notice"]["content_hash"]}})["ok"]
    second.close()
    host = Host(server.url, call["host"]["token"])
    host.resync(0)
    person.close()
    org.http.get(f"{server.url}/api/v1/calls/{call['id']}/participants", timeout=5)
    org.http.get(f"{server.url}/api/v1/calls?token={token}", timeout=5)  # a careless client
    host.close()
    log = server.log()
    assert '"event": "joined"' in log  # the log is being written
    for canary in (CANARY_NAME, CANARY_EMAIL, token, call["host"]["token"], org.key,
                   "127.0.0.1"):
        assert canary not in log, f"{canary[:12]}… found in the server log"
