"""Over 1,000 decisions: every host receives each within a second of its acknowledgement."""

import threading
import time
import uuid

import socketio

from tests.e2e.harness import Host, Org, Server

PARTICIPANTS = 20
DECISIONS_EACH = 55  # 1,100 in all


def test_every_host_receives_every_decision_within_a_second(server: Server, org: Org,
                                                            call: dict) -> None:
    hosts = [Host(server.url, call["host"]["token"]) for _ in range(2)]
    acked_at: dict[str, float] = {}  # participant id + receipt seq → ack time
    lock = threading.Lock()

    def participant(n: int) -> None:
        client = socketio.SimpleClient()
        client.connect(server.url, namespace="/participant",
                       auth={"token": call["widget"]["token"]}, transports=["websocket"])
        seen = {"notice_hash": call["notice"]["content_hash"]}
        pid = client.call("join", {"fields": {"display_name": f"F{n}"},
                                   "seen": seen})["participant"]["id"]
        state = "granted"
        for _ in range(DECISIONS_EACH):
            answer = client.call("decide", {"event_id": str(uuid.uuid4()),
                                            "choices": {"recording": state}})
            assert answer["ok"], answer
            with lock:
                acked_at[f"{pid}:{answer['state']['recording']}:{answer['receipt']['seq']}"] = (
                    time.monotonic())
            state = "withdrawn" if state == "granted" else "granted"
            time.sleep(0.04)  # under the per-connection rate limit
        client.disconnect()

    threads = [threading.Thread(target=participant, args=(n,)) for n in range(PARTICIPANTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    total = PARTICIPANTS * DECISIONS_EACH
    assert len(acked_at) == total
    for host in hosts:
        host.wait_for(lambda h=host: sum(u["kind"] == "decision" for u in h.updates) >= total,
                      timeout=15)
        decisions = [(u, t) for u, t in zip(host.updates, host.arrivals, strict=True)
                     if u["kind"] == "decision"]
        assert len(decisions) == total
        seqs = [u["seq"] for u in host.updates]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "gap or reorder"
        # Each decision update carries the participant's state; pair them with the acks by
        # participant and order (both streams are in commit order per participant).
        per_participant: dict[str, list[float]] = {}
        for key, at in sorted(acked_at.items(), key=lambda kv: kv[1]):
            per_participant.setdefault(key.split(":")[0], []).append(at)
        worst = 0.0
        for update, arrived in decisions:
            sent = per_participant[update["participant"]["id"]].pop(0)
            worst = max(worst, arrived - sent)
        assert worst < 1.0, f"a host received a decision {worst:.3f}s after its ack"
        host.close()
