"""Helpers for the live write path's end-to-end tests (issue 8): widgets speaking the protocol
as it is specified (CONTRACT §A: `join` says which notice it showed, `event_id` is a UUID),
and the recomputation of a call's counts and gate from its ledger and presence.

Everything goes through the public surface: Socket.IO for the widgets, REST for the ledger,
the summary, the roster and the gate.
"""

import contextlib
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import socketio

from tests.conftest import fresh_database
from tests.e2e.harness import Org, Server

# The lecture notice's purposes (tests/conftest.py) and the state each starts in.
INITIAL = {"recording": "pending", "notes_email": "pending", "attendance": "not_objected",
           "service": "informed"}
GATING = ("recording",)


@contextmanager
def server_with(folder: Path, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """A started server on a fresh database (SQLite, or PostgreSQL when the suite runs on it),
    with extra WIDGET_SERVER_* settings; stopped and dropped afterwards."""
    with fresh_database(folder) as url:
        server = Server(folder, url, extra_env=extra_env).start()
        try:
            yield server
        finally:
            server.stop()


class Widget:
    """One widget connection to a call, speaking the specified protocol."""

    def __init__(self, server_url: str, call: dict[str, Any], resume: str | None = None,
                 timeout: float = 15) -> None:
        self.call_id: str = call["id"]
        self.notice_hash: str = call["notice"]["content_hash"]
        self.timeout = timeout
        self.client = socketio.Client(reconnection=False)
        auth: dict[str, Any] = {"token": call["widget"]["token"]}
        if resume:
            auth["resume"] = resume
        self.client.connect(server_url, namespaces=["/participant"], auth=auth,
                            transports=["websocket"], wait_timeout=10)

    def seen(self) -> dict[str, str]:
        return {"notice_hash": self.notice_hash}

    def call(self, event: str, data: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.call(event, data, namespace="/participant",
                                                  timeout=self.timeout)
        return answer

    def join(self, display_name: str, language: str = "en") -> dict[str, Any]:
        return self.call("join", {"fields": {"display_name": display_name},
                                  "language": language, "seen": self.seen()})

    def decide(self, choices: dict[str, Any], fields: dict[str, Any] | None = None,
               event_id: str | None = None) -> tuple[str, dict[str, Any]]:
        event_id = event_id or str(uuid.uuid4())
        body: dict[str, Any] = {"event_id": event_id, "choices": choices}
        if fields:
            body["fields"] = fields
        return event_id, self.call("decide", body)

    def close(self) -> None:
        # Already dropped by the server: nothing left to close.
        with contextlib.suppress(Exception):
            self.client.disconnect()


def ledger(org: Org, call_id: str) -> list[dict[str, Any]]:
    """Every ledger item of the call, oldest first, through the paginated REST endpoint."""
    items: list[dict[str, Any]] = []
    after: str | None = "0"
    while after is not None:
        page = org.get(f"/api/v1/calls/{call_id}/decisions?after={after}&limit=1000")
        items += page["items"]
        after = page["next"]
    return items


def final_states(items: list[dict[str, Any]], participant_ids: set[str]
                 ) -> dict[str, dict[str, str]]:
    """Each participant's state per purpose as the ledger says: the last event of theirs for
    that purpose, else the state the purpose starts in. Events without a purpose (a join's
    `notice_served`) change no state."""
    states = {pid: dict(INITIAL) for pid in participant_ids}
    for item in items:
        if item.get("purpose") is None:
            continue
        states.setdefault(item["participant_id"], dict(INITIAL))[item["purpose"]] = item["state"]
    return states


def state_counts(states: dict[str, dict[str, str]]) -> dict[str, dict[str, int]]:
    """purpose → state → how many participants, without zero counts (as `summary.purposes`)."""
    counts: dict[str, Counter[str]] = {}
    for by_purpose in states.values():
        for purpose, state in by_purpose.items():
            counts.setdefault(purpose, Counter())[state] += 1
    return {purpose: dict(c) for purpose, c in counts.items()}


def blocking(states: dict[str, dict[str, str]], present: set[str]) -> set[str]:
    """The present participants who have not granted every gating purpose."""
    return {pid for pid in present
            if any(states.get(pid, INITIAL)[key] != "granted" for key in GATING)}


def check_call(org: Org, call_id: str, present: set[str]) -> list[str]:
    """Compare the call's summary, gate and roster with a recomputation from its ledger and
    the participants the test knows to be connected. Returns the differences found."""
    problems: list[str] = []
    items = ledger(org, call_id)
    roster = org.get(f"/api/v1/calls/{call_id}/participants")
    ids = {p["id"] for p in roster["participants"]}
    strangers = {i["participant_id"] for i in items} - ids
    if strangers:
        problems.append(f"{call_id}: ledger names {len(strangers)} participants not in roster")
    states = final_states(items, ids)
    detail = org.get(f"/api/v1/calls/{call_id}")
    expected_counts = state_counts(states)
    if detail["summary"]["purposes"] != expected_counts:
        problems.append(f"{call_id}: summary.purposes {detail['summary']['purposes']} != "
                        f"recomputed from the ledger {expected_counts}")
    wrong_rows = [p["id"] for p in roster["participants"] if p["state"] != states[p["id"]]]
    if wrong_rows:
        problems.append(f"{call_id}: {len(wrong_rows)} roster states differ from the ledger")
    roster_present = {p["id"] for p in roster["participants"] if p["present"]}
    if roster_present != present:
        problems.append(f"{call_id}: roster present {len(roster_present)} "
                        f"({len(roster_present - present)} ghosts, "
                        f"{len(present - roster_present)} missing) != connected {len(present)}")
    if detail["summary"]["present"] != len(present):
        problems.append(f"{call_id}: summary.present {detail['summary']['present']} != "
                        f"connected {len(present)}")
    expected_blocking = blocking(states, present)
    allowed = bool(present) and not expected_blocking
    if detail["gate"] != {"recording_allowed": allowed, "blocking": len(expected_blocking)}:
        problems.append(f"{call_id}: gate {detail['gate']} != recomputed "
                        f"{{'recording_allowed': {allowed}, 'blocking': {len(expected_blocking)}}}")
    gate = org.get(f"/api/v1/calls/{call_id}/gate")
    if (set(gate["blocking_participants"]) != expected_blocking
            or gate["blocking"] != len(expected_blocking)
            or gate["recording_allowed"] != allowed):
        problems.append(f"{call_id}: /gate blocks {gate['blocking']} "
                        f"(allowed={gate['recording_allowed']}) != recomputed "
                        f"{len(expected_blocking)} (allowed={allowed})")
    return problems


def wait_until(condition: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def names_field(error: Any, aliases: tuple[str, ...]) -> bool:
    """Whether a refusal's `fields` names one of `aliases`, alone or as a part of a dotted
    path (`display_name`, `fields.display_name`, `seen.notice_hash`, `choices.recording`)."""
    fields = error.get("fields") if isinstance(error, dict) else None
    if not isinstance(fields, dict):
        return False
    return any(key == alias or alias in re.split(r"[.\[\]/]+", str(key))
               for key in fields for alias in aliases)


class Tally:
    """What many threads saw, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acked: dict[str, dict[str, str]] = {}  # call id → event_id → participant id
        self.refused: list[tuple[str, str]] = []  # (what, code)
        self.errors: list[str] = []

    def ack(self, call_id: str, event_id: str, participant_id: str) -> None:
        with self.lock:
            self.acked.setdefault(call_id, {})[event_id] = participant_id

    def refuse(self, what: str, answer: Any) -> None:
        code = answer.get("error", {}).get("code") if isinstance(answer, dict) else repr(answer)
        with self.lock:
            self.refused.append((what, str(code)))

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)
