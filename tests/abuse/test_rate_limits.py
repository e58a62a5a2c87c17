"""Rate limits: API-key guessing, and a widget-token flood from one source.

Before: 3,000 API-key guesses at 954/s with no throttling; one public widget token created 665
participants a second. Sources here are two loopback addresses (127.0.0.1 and 127.0.0.2), as
two machines would be; no forwarded header is trusted.
"""

import asyncio
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.abuse.conftest import abuse_server
from tests.abuse.raw import Polling, body_of, bounded_gather, exchange, request, status_of
from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Participant, Server

ATTACKER, HONEST = "127.0.0.2", "127.0.0.1"
AUTH_FAILURES = 10
GUESSES = 1_000
CONNECT_RATE, CONNECT_BURST = 5, 20
FLOOD = 300


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"WIDGET_SERVER_AUTH_FAILURE_LIMIT": f"{AUTH_FAILURES}/minute",
           "WIDGET_SERVER_SOURCE_CONNECT_RATE": str(CONNECT_RATE),
           "WIDGET_SERVER_SOURCE_CONNECT_BURST": str(CONNECT_BURST)}
    with abuse_server(tmp_path_factory.mktemp("limits"), env=env) as server:
        yield server


def api_get(server: Server, key: str, source: str) -> bytes:
    return asyncio.run(exchange(server.port, request(
        "GET", "/api/v1/calls", {"Authorization": f"Bearer {key}"}), source=source))


def test_api_key_guessing_gets_429_while_the_real_key_works_elsewhere(limited: Server) -> None:
    org = Org(limited)
    prefix = org.key.rsplit("_", 1)[0]

    async def guess(i: int) -> int:
        wrong = f"{prefix}_{uuid.uuid4().hex}{i}"
        return status_of(await exchange(limited.port, request(
            "GET", "/api/v1/calls", {"Authorization": f"Bearer {wrong}"}), source=ATTACKER))

    started = time.monotonic()
    statuses = asyncio.run(bounded_gather(GUESSES, 1, time.monotonic() + 60, guess))
    seconds = time.monotonic() - started
    counts = Counter(statuses)
    print(f"\n{len(statuses)} guesses in {seconds:.1f} s: {dict(counts)}")
    assert len(statuses) == GUESSES
    assert counts[401] == AUTH_FAILURES and counts[429] == GUESSES - AUTH_FAILURES
    refused = api_get(limited, org.key, ATTACKER)
    assert status_of(refused) == 429  # the guessing source is locked out, even with the key
    assert b"Retry-After" in refused
    assert json.loads(body_of(refused))["code"] == "rate_limited"
    assert status_of(api_get(limited, org.key, HONEST)) == 200


def test_a_widget_token_flood_stops_at_the_cap_and_other_calls_go_on(limited: Server) -> None:
    org = Org(limited)
    flooded, other = org.open_call(lecture_notice()), org.open_call(lecture_notice())
    auth = json.dumps({"token": flooded["widget"]["token"]})
    # `seen` as the contract's §A asks (the call's notice version, as the widget shows it).
    join = json.dumps(["join", {"fields": {"display_name": "Flood"}, "language": "en",
                                "seen": {"notice_hash": flooded["notice"]["content_hash"]}}])

    async def one(_: int) -> str:
        client = Polling(limited.port, ATTACKER)
        if not await client.open():
            return "no_session"
        answer = await client.answer_to(f"40/participant,{auth}", "4", timeout=10)
        if answer is None:
            return "no_answer"
        if answer.startswith("44/participant,"):
            return str(json.loads(answer.split(",", 1)[1]).get("data", {}).get("code"))
        ack = await client.answer_to(f"42/participant,1{join}", "43/participant,1", timeout=10)
        return "joined" if ack and '"ok": true' in ack.replace('"ok":true', '"ok": true') else \
            f"join_refused:{ack}"

    honest: list[float] = []

    def other_call() -> None:
        time.sleep(0.5)  # the flood is under way
        for n in range(10):
            started = time.monotonic()
            person = Participant(limited.url, other["widget"]["token"])
            person.join({"display_name": f"Honest {n}"})
            assert person.decide({"recording": "granted"})["ok"]
            honest.append(time.monotonic() - started)
            person.close()

    helper = threading.Thread(target=other_call)
    helper.start()
    started = time.monotonic()
    outcomes = asyncio.run(bounded_gather(FLOOD, 50, time.monotonic() + 60, one))
    seconds = time.monotonic() - started
    helper.join(60)
    counts = Counter(o if not o.startswith("join_refused") else "join_refused" for o in outcomes)
    print(f"\nflood of {len(outcomes)} connections in {seconds:.1f} s from one source: "
          f"{dict(counts)}; the other call's 10 participants joined and decided, slowest "
          f"{max(honest, default=float('nan')):.3f} s")
    assert len(outcomes) == FLOOD
    allowed = CONNECT_BURST + CONNECT_RATE * seconds + 2
    assert counts["joined"] <= allowed
    assert counts["rate_limited"] >= FLOOD - allowed
    assert set(counts) <= {"joined", "rate_limited", "call_full"}
    assert len(honest) == 10 and max(honest) < 2.0
