"""Joins, grants, denials, withdrawals and leaves reach every host, numbered, with the gate."""

from tests.e2e.harness import Host, Org, Participant, Server


def _consecutive(host: Host) -> list[int]:
    assert host.roster is not None
    return [u["seq"] for u in host.updates]


def test_two_hosts_see_every_change_in_order_with_the_right_gate(
        server: Server, org: Org, call: dict) -> None:
    hosts = [Host(server.url, call["host"]["token"]) for _ in range(2)]
    start = hosts[0].roster["seq"]
    alice = Participant(server.url, call["widget"]["token"])
    bob = Participant(server.url, call["widget"]["token"])
    carol = Participant(server.url, call["widget"]["token"])
    alice.join({"display_name": "Alice"})
    bob.join({"display_name": "Bob"})
    carol.join({"display_name": "Carol"})
    assert alice.decide({"recording": "granted"})["ok"]
    assert bob.decide({"recording": "denied"})["ok"]
    assert carol.decide({"recording": "granted"})["ok"]
    bob.close()  # the only blocker leaves: recording may run
    # A leave on one connection and a decision on another have no order between them on the
    # server; the test wants this one, so it waits for the leave to be seen.
    hosts[0].wait_for(lambda: any(u["kind"] == "left" for u in hosts[0].updates))
    assert carol.decide({"recording": "withdrawn"})["ok"]  # and now it may not
    expected_kinds = ["joined"] * 3 + ["decision"] * 3 + ["left", "decision"]
    for host in hosts:
        host.wait_for(lambda h=host: len(h.updates) >= len(expected_kinds))
        assert [u["kind"] for u in host.updates] == expected_kinds
        assert _consecutive(host) == list(range(start + 1, start + 1 + len(expected_kinds)))
        gates = [u["gate"]["recording_allowed"] for u in host.updates]
        # joined ×3 (pending), alice granted (bob, carol pending), bob denied, carol granted
        # (bob still present and denied), bob left → allowed, carol withdrew → blocked.
        assert gates == [False, False, False, False, False, False, True, False]
        assert host.updates[-1]["gate"]["blocking"] == 1
        assert host.updates[6]["participant"]["present"] is False
        assert host.updates[-1]["summary"]["purposes"]["recording"]["withdrawn"] == 1

    rest = org.get(f"/api/v1/calls/{call['id']}/participants")
    by_id = {p["id"]: p for p in rest["participants"]}
    assert by_id[alice.id]["state"]["recording"] == "granted"
    assert by_id[bob.id]["present"] is False and by_id[bob.id]["state"]["recording"] == "denied"
    assert by_id[carol.id]["state"]["recording"] == "withdrawn"
    assert rest["seq"] == hosts[0].updates[-1]["seq"]
    gate = org.get(f"/api/v1/calls/{call['id']}/gate")
    assert gate == {"recording_allowed": False, "blocking": 1,
                    "blocking_participants": [carol.id], "seq": rest["seq"]}
    for client in (alice, carol, *hosts):
        client.close()


def test_the_roster_on_connect_shows_who_is_there(server: Server, org: Org, call: dict) -> None:
    dana = Participant(server.url, call["widget"]["token"])
    dana.join({"display_name": "Dana"})
    dana.decide({"recording": "granted"})
    host = Host(server.url, call["host"]["token"])
    assert host.roster is not None
    people = host.roster["participants"]
    assert [(p["label"], p["present"], p["state"]["recording"]) for p in people] == [
        ("Dana", True, "granted")]
    assert host.roster["gate"] == {"recording_allowed": True, "blocking": 0}
    dana.close()
    host.close()


def test_ending_the_call_tells_participants_and_hosts(server: Server, org: Org, call: dict
                                                      ) -> None:
    host = Host(server.url, call["host"]["token"])
    erin = Participant(server.url, call["widget"]["token"])
    erin.join({"display_name": "Erin"})
    org.post(f"/api/v1/calls/{call['id']}/end")
    host.wait_for(lambda: erin.events and erin.events[0][0] == "call_ended")
    host.wait_for(lambda: host.updates and host.updates[-1]["kind"] == "call_ended")
    refused = erin.decide({"recording": "granted"})
    assert refused == {"ok": False, "error": {"code": "call_ended", "message": refused["error"][
        "message"]}}
    erin.close()
    host.close()
