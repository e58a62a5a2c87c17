"""One log pipeline: junk floods stay small, and no canary reaches any log line.

Before: each junk packet wrote a 671-byte traceback (2,000 in 4 s) and kept its connection;
engineio echoed a client's `sid` (a %0A in it forged a JSON line); eventlet's error log wrote
the client address and the raw request line; the access log wrote raw paths.
"""

import asyncio
import json
import time
import uuid

import pytest
import requests
import socketio

from tests.abuse.raw import (
    bounded_gather,
    exchange,
    handshake,
    request,
    status_of,
)
from tests.conftest import lecture_notice
from tests.e2e.harness import Host, Org, Participant, Server

JUNK = 5_000
JUNK_KINDS = ["4garbage", "4X", '42["join"', '40/participant,{bad',
              '451-["x",{"_placeholder":true,"num":0}]', '42/participant,["join",{}]',
              '43/host,7["x"]']

CANARY_NAME = "Zebulon Quincewhistle"
CANARY_EMAIL = "canary.zq@example.org"
CANARY_PHONE = "+44 20 7946 0958"


def log_lines(server: Server, since: int = 0) -> list[str]:
    return server.log_path.read_bytes()[since:].decode(errors="replace").splitlines()


def assert_one_json_object_a_line(lines: list[str]) -> None:
    for line in lines:
        assert isinstance(json.loads(line), dict), line[:200]
        assert "Traceback" not in line


def test_junk_packets_disconnect_their_senders_and_the_log_stays_small(server: Server) -> None:
    before = server.log_path.stat().st_size

    async def flood() -> list[tuple[int, int]]:
        deadline = time.monotonic() + 90

        async def one(i: int) -> tuple[int, int]:
            sid = await handshake(server.port)
            if sid is None:
                return (0, 0)
            path = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
            junk = JUNK_KINDS[i % len(JUNK_KINDS)].encode()
            sent = status_of(await exchange(server.port, request(
                "POST", path, {"Content-Type": "text/plain", "Content-Length": str(len(junk))},
                junk)))
            # The sender is gone: its session no longer takes packets.
            again = status_of(await exchange(server.port, request(
                "POST", path, {"Content-Type": "text/plain", "Content-Length": "1"}, b"6")))
            return (sent, again)

        return await bounded_gather(JUNK, 50, deadline, one)

    started = time.monotonic()
    results = asyncio.run(flood())
    seconds = time.monotonic() - started
    time.sleep(0.5)
    grown = server.log_path.stat().st_size - before
    lines = log_lines(server, before)
    print(f"\n{len(results)} junk packets in {seconds:.1f} s: the log grew by {grown} bytes "
          f"({len(lines)} lines)")
    assert len(results) == JUNK
    assert all(sent == 200 for sent, _ in results)
    assert all(again == 400 for _, again in results), "a junk sender kept its session"
    assert_one_json_object_a_line(lines)
    assert grown < 40_000
    assert any('"suppressed"' in line for line in lines)


def test_canaries_appear_in_no_log_line(server: Server, org: Org) -> None:
    call = org.open_call(lecture_notice())
    widget, host_token = call["widget"]["token"], call["host"]["token"]
    canaries = [CANARY_NAME, CANARY_EMAIL, CANARY_PHONE, widget, host_token, org.key,
                "127.0.0.1", "Quincewhistle", "canary.zq", "7946"]
    base = server.url
    # Socket events, accepted and refused, carrying every canary.
    person = Participant(base, widget)
    person.join({"display_name": CANARY_NAME})
    assert not person.decide({"recording": "granted"}, fields={"email": CANARY_EMAIL})["ok"]
    assert not person.decide({"notes_email": "granted"}, fields={"email": CANARY_PHONE})["ok"]
    assert not person.decide({CANARY_NAME: "granted"})["ok"]
    assert not person.call("join", {"fields": {"phone": CANARY_PHONE}})["ok"]
    watcher = Host(base, host_token)
    watcher.resync(0)
    person.close()
    watcher.close()
    # REST: tokens and keys where careless clients put them, wrong keys, values in paths.
    http = requests.Session()
    http.get(f"{base}/api/v1/calls?token={widget}&api_key={org.key}", timeout=5)
    http.get(f"{base}/api/v1/calls/{CANARY_EMAIL}", headers={"Authorization": f"Bearer {org.key}"},
             timeout=5)
    http.get(f"{base}/api/v1/calls/{CANARY_NAME}/participants",
             headers={"Authorization": f"Bearer {org.key}x"}, timeout=5)
    http.post(f"{base}/api/v1/notices", data=CANARY_EMAIL.encode(),
              headers={"Authorization": f"Bearer {org.key}", "Content-Type": "application/json"},
              timeout=5)
    http.get(f"{base}/widget/{host_token}?email={CANARY_EMAIL}", timeout=5)
    # engine.io's errors: a sid holding a line break and a forged log line, bad origins, bad
    # transports, a bad JSONP index, an unsupported method, all with canaries in them.
    forged = f'{widget}%0A{{"event": "forged", "email": "{CANARY_EMAIL}"}}'
    for path in (f"/socket.io/?EIO=4&transport=polling&sid={forged}",
                 f"/socket.io/?EIO=4&transport={CANARY_EMAIL}&sid={forged}",
                 f"/socket.io/?EIO=3&transport=polling&token={host_token}",
                 f"/socket.io/?EIO=4&transport=polling&j={CANARY_PHONE.replace(' ', '')}"):
        for method in ("GET", "POST"):
            http.request(method, base + path, data=b"x", timeout=5)
    http.get(f"{base}/socket.io/?EIO=4&transport=polling",
             headers={"Origin": f"https://{widget}.example.org"}, timeout=5)
    http.request("PROPFIND", f"{base}/socket.io/?EIO=4&transport=polling&sid={forged}", timeout=5)

    # eventlet's own errors: malformed request lines, oversized headers, bad lengths.
    async def raw_errors() -> None:
        for line in (f"GET /?email={CANARY_EMAIL} HTTP/9.9\r\n\r\n",
                     f"{CANARY_NAME} /{widget} HTTP/1.1\r\n\r\n",
                     f"GET /healthz?{org.key} HTTP/1.1\r\nHost: x\r\nX-{CANARY_EMAIL}: "
                     + "a" * 9000 + "\r\n\r\n",
                     f"POST /api/v1/calls?{widget} HTTP/1.1\r\nContent-Length: -{CANARY_PHONE}"
                     "\r\n\r\n",
                     f"POST /socket.io/?sid={forged} HTTP/1.1\r\nContent-Length: 5\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"):
            await exchange(server.port, line.encode(), timeout=3)

    asyncio.run(raw_errors())
    # A socket connection refused for a bad token that holds a canary.
    with pytest.raises(socketio.exceptions.ConnectionError):
        Participant(base, f"{CANARY_EMAIL}.{uuid.uuid4()}")
    time.sleep(0.5)
    lines = log_lines(server)
    assert any('"event": "joined"' in line for line in lines)  # the log is being written
    assert_one_json_object_a_line(lines)
    for canary in canaries:
        hits = [line for line in lines if canary in line]
        assert not hits, f"{canary[:12]}… found in: {hits[0][:300]}"
    assert not any(json.loads(line).get("event") == "forged" for line in lines)
