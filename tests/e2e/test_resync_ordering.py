"""Resynchronising after missed updates, per-participant ordering, and idempotent retries."""

import time
import uuid

from tests.e2e.harness import Host, Org, Participant, Server


def test_a_host_that_missed_updates_gets_exactly_those_in_order_once(
        server: Server, org: Org, call: dict) -> None:
    host = Host(server.url, call["host"]["token"])
    people = [Participant(server.url, call["widget"]["token"]) for _ in range(3)]
    for n, person in enumerate(people):
        person.join({"display_name": f"P{n}"})
    host.wait_for(lambda: len(host.updates) == 3)
    seen = host.last_seq
    host.close()  # away while things happen
    people[0].decide({"recording": "granted"})
    people[1].decide({"recording": "denied", "notes_email": "granted"},
                     fields={"email": "p1@example.org"})
    people[2].close()
    # A disconnect is processed by the server after the client returns: wait for it.
    deadline = time.monotonic() + 5
    while org.get(f"/api/v1/calls/{call['id']}/gate")["seq"] < seen + 3:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    back = Host(server.url, call["host"]["token"])
    answer = back.resync(seen)
    assert answer["ok"] is True
    missed = answer["updates"]
    assert [u["seq"] for u in missed] == [seen + 1, seen + 2, seen + 3]
    assert [u["kind"] for u in missed] == ["decision", "decision", "left"]
    assert missed[0]["participant"]["state"]["recording"] == "granted"
    # Nothing later than the roster arrived live, so nothing was delivered twice.
    assert back.updates == []
    assert back.resync(back.roster["seq"]) == {"ok": True, "updates": []}
    for person in people[:2]:
        person.close()
    back.close()


def test_rapid_grant_and_withdraw_end_in_the_last_state_sent(server: Server, org: Org,
                                                             call: dict) -> None:
    person = Participant(server.url, call["widget"]["token"])
    person.join({"display_name": "Quick"})
    answers: list[dict] = []
    ids = [str(uuid.uuid4()) for _ in range(30)]
    # Emitted back to back without waiting: the server must still apply them in order.
    for n, event_id in enumerate(ids):
        state = "granted" if n % 2 == 0 else "withdrawn"
        person.emit("decide", {"event_id": event_id, "choices": {"recording": state}},
                    callback=answers.append)
    host = Host(server.url, call["host"]["token"])
    host.wait_for(lambda: len(answers) == len(ids))
    assert all(a["ok"] for a in answers), answers
    seqs = [a["receipt"]["seq"] for a in answers]
    assert seqs == sorted(seqs)
    participants = org.get(f"/api/v1/calls/{call['id']}/participants")["participants"]
    assert participants[0]["state"]["recording"] == "withdrawn"  # the 30th, last sent
    person.close()
    host.close()


def test_a_resent_event_id_returns_the_same_receipt_also_after_reconnecting(
        server: Server, org: Org, call: dict) -> None:
    person = Participant(server.url, call["widget"]["token"])
    person.join({"display_name": "Retry"})
    event_id = str(uuid.uuid4())
    first = person.decide({"recording": "granted"}, event_id=event_id)
    again = person.decide({"recording": "granted"}, event_id=event_id)
    assert again == first
    person.close()
    back = Participant(server.url, call["widget"]["token"], resume=person.resume)
    rejoined = back.join({"display_name": "Retry"})
    assert rejoined["participant"]["id"] == person.id
    assert back.decide({"recording": "granted"}, event_id=event_id) == first
    ledger = org.get(f"/api/v1/calls/{call['id']}/decisions")["items"]
    assert [item["event_id"] for item in ledger].count(event_id) == 1
    back.close()
