"""Issue 8, Done when: one hostile participant cannot fail, lose or stall anyone else's data.

Three organisations' calls run at once; 50 well-behaved participants decide continuously
(and each drops and resumes its connection every few seconds) while one hostile participant sends, in
every field a widget sends, a lone UTF-16 surrogate, a NUL byte and a 1 MB value, and
disconnects and reconnects between rounds, moving from call to call.

python-socketio's client encodes payloads with `json.dumps` (ensure_ascii): a lone surrogate
travels as the JSON escape `\\ud800`, exactly what a hostile client sends, and the server's
JSON decoder turns it back into a lone surrogate (test_the_surrogate_travels_as_a_json_escape).

The server runs with a 4 MB Socket.IO message limit (WIDGET_SERVER_SOCKET_MAX_MESSAGE), so
that a 1 MB field reaches the edge's validation instead of being cut off by the transport:
what is tested is that the field itself is refused, naming it.
"""

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from socketio import packet

from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Server
from tests.e2e.live_load import (
    Tally,
    Widget,
    check_call,
    ledger,
    names_field,
    server_with,
    wait_until,
)

pytestmark = pytest.mark.e2e

WELL_BEHAVED = 50
DURATION = 20.0  # seconds of load: bounded, stops by itself
MAX_DURATION = 90.0
PACE = 0.25  # seconds between one participant's decisions (4/s: far below the rate limit)
RECONNECT_EVERY = 6.0  # seconds, at most, between one participant's leave-and-resume
HOSTILE_PACE = 0.07  # seconds between the hostile participant's requests (< the 20/s budget)
MEGABYTE = 1024 * 1024
SURROGATE = "\ud800"
NUL = "\x00"

Payload = dict[str, Any]


def poisoned(base: str) -> list[tuple[str, str]]:
    """The three poisons for a field whose valid value is `base`."""
    return [("lone surrogate", base[:1] + SURROGATE + base[1:]),
            ("NUL", base[:1] + NUL + base[1:]),
            ("1 MB", base + "x" * MEGABYTE)]


def join_poisons(notice_hash: str) -> list[tuple[str, str, Payload, tuple[str, ...]]]:
    """(field, poison, join payload, names the refusal may give the field)."""
    def join(fields: dict[str, Any], language: str = "en",
             seen_hash: str = notice_hash) -> Payload:
        return {"fields": fields, "language": language, "seen": {"notice_hash": seen_hash}}

    cases: list[tuple[str, str, Payload, tuple[str, ...]]] = []
    for poison, value in poisoned("Eve"):
        cases.append(("display_name", poison, join({"display_name": value}), ("display_name",)))
    for poison, value in poisoned("eve@example.org"):
        cases.append(("email", poison, join({"display_name": "Eve", "email": value}),
                      ("email",)))
    for poison, value in poisoned("en"):
        cases.append(("language", poison, join({"display_name": "Eve"}, language=value),
                      ("language",)))
    for poison, value in poisoned(notice_hash):
        cases.append(("seen.notice_hash", poison, join({"display_name": "Eve"}, seen_hash=value),
                      ("seen", "notice_hash")))
    return cases


def decide_poisons() -> list[tuple[str, str, Payload, tuple[str, ...]]]:
    """(field, poison, decide payload, names the refusal may give the field)."""
    def decide(choices: dict[str, Any], fields: dict[str, Any] | None = None,
               event_id: str | None = None) -> Payload:
        body: Payload = {"event_id": event_id or str(uuid.uuid4()), "choices": choices}
        if fields is not None:
            body["fields"] = fields
        return body

    cases: list[tuple[str, str, Payload, tuple[str, ...]]] = []
    for poison, value in poisoned(str(uuid.uuid4())):
        cases.append(("event_id", poison, decide({"recording": "granted"}, event_id=value),
                      ("event_id",)))
    for poison, value in poisoned("recording"):
        # Named as `choices` (or a path in it), or by the offending key itself.
        cases.append(("choice key", poison, decide({value: "granted"}), ("choices", value)))
    for poison, value in poisoned("granted"):
        cases.append(("choice value", poison, decide({"recording": value}),
                      ("choices", "recording")))
    for poison, value in poisoned("eve@example.org"):
        cases.append(("email", poison, decide({"notes_email": "granted"}, {"email": value}),
                      ("email",)))
    for poison, value in poisoned("Eve"):
        cases.append(("display_name", poison,
                      decide({"recording": "granted"}, {"display_name": value}),
                      ("display_name",)))
    return cases


@pytest.fixture
def roomy_server(tmp_path: Path) -> Iterator[Server]:
    with server_with(tmp_path, {"WIDGET_SERVER_SOCKET_MAX_MESSAGE": str(4 * MEGABYTE)}) as s:
        yield s


def test_the_surrogate_travels_as_a_json_escape() -> None:
    """What the client library puts on the wire for a lone surrogate and a NUL byte: JSON
    escapes that any JSON decoder turns back into those very characters."""
    encoded = packet.Packet(packet.EVENT, data=["join", {"language": SURROGATE + NUL}],
                            namespace="/participant", id=1).encode()
    assert isinstance(encoded, str)
    assert "\\ud800\\u0000" in encoded
    decoded = packet.Packet(encoded_packet=encoded)
    assert decoded.data[1]["language"] == SURROGATE + NUL


class WellBehaved(threading.Thread):
    """A participant deciding continuously, as the widget would, until `stop` is set; every few
    seconds it drops its connection (a leave) and resumes. Stays connected at the end."""

    def __init__(self, url: str, call: dict[str, Any], index: int, stop: threading.Event,
                 tally: Tally) -> None:
        super().__init__(daemon=True)
        self.url, self.call, self.index, self.stop, self.tally = url, call, index, stop, tally
        self.rng = random.Random(index)
        self.reconnect_at = time.monotonic() + self.rng.uniform(1.0, RECONNECT_EVERY)
        self.widget: Widget | None = None
        self.participant_id: str | None = None
        self.resume: str | None = None
        self.state: dict[str, str] = {}

    def run(self) -> None:
        try:
            self._connect()
            while not self.stop.is_set():
                if time.monotonic() >= self.reconnect_at:
                    assert self.widget is not None
                    self.widget.close()  # a leave, in the middle of everyone's traffic
                    time.sleep(self.rng.uniform(0.05, 0.3))
                    self._connect()
                    self.reconnect_at = time.monotonic() + self.rng.uniform(2.0, RECONNECT_EVERY)
                self._decide_once()
                time.sleep(PACE * self.rng.uniform(0.5, 1.5))
        except Exception as err:  # a timeout or a dropped connection: reported, not hidden
            self.tally.error(f"participant {self.index}: {type(err).__name__}: {err}")

    def _connect(self) -> None:
        self.widget = Widget(self.url, self.call, resume=self.resume)
        for _ in range(20):  # a refused join is counted; try again so the load goes on
            answer = self.widget.join(f"Person {self.index}",
                                      language="de" if self.index % 3 == 0 else "en")
            if answer.get("ok"):
                participant = answer["participant"]
                if self.participant_id not in (None, participant["id"]):
                    self.tally.error(f"participant {self.index}: resumed as someone else")
                self.participant_id, self.resume = participant["id"], participant["resume"]
                self.state = dict(answer["state"])
                return
            self.tally.refuse("join", answer)
            time.sleep(0.1)
        raise RuntimeError("could not join")

    def _decide_once(self) -> None:
        assert self.widget is not None and self.participant_id is not None
        fields = None
        if self.rng.random() < 0.7:
            choices = {"recording": "withdrawn" if self.state["recording"] == "granted"
                       else "granted"}
        elif self.state["notes_email"] == "granted":
            choices = {"notes_email": self.rng.choice(["withdrawn", "denied"])}
        else:
            choices, fields = {"notes_email": "granted"}, {"email": f"p{self.index}@example.org"}
        event_id, answer = self.widget.decide(choices, fields)
        if answer.get("ok"):
            self.tally.ack(self.call["id"], event_id, self.participant_id)
            self.state = dict(answer["state"])
        else:
            self.tally.refuse("decide", answer)


class Hostile(threading.Thread):
    """Sends every poison of every field, round after round, spread over the three calls,
    disconnecting and reconnecting between them; records each answer."""

    def __init__(self, url: str, calls: list[dict[str, Any]], stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.calls, self.stop = url, calls, stop
        # Every call's notice is the same content: one hash.
        self.notice_hash: str = calls[0]["notice"]["content_hash"]
        assert {c["notice"]["content_hash"] for c in calls} == {self.notice_hash}
        self.answers: list[tuple[str, str, str, tuple[str, ...], Any]] = []
        self.rounds = 0
        self.completed = 0  # rounds in which every poison was sent
        self.errors: list[str] = []

    def run(self) -> None:
        resumes: dict[str, str] = {}
        while not self.stop.is_set():
            self.rounds += 1
            try:
                if self._round(resumes):
                    self.completed += 1
            except Exception as err:
                self.errors.append(f"round {self.rounds}: {type(err).__name__}: {err}")
                time.sleep(0.2)

    def _ask(self, widget: Widget, event: str, field: str, poison: str, payload: Payload,
             aliases: tuple[str, ...]) -> None:
        try:
            answer: Any = widget.call(event, payload)
        except Exception as err:  # no answer at all (timeout, connection cut): a failure too
            answer = f"no answer: {type(err).__name__}"
        self.answers.append((event, field, poison, aliases, answer))
        time.sleep(HOSTILE_PACE)

    def _round(self, resumes: dict[str, str]) -> bool:
        """Every poison once, spread over the three calls; whether all were sent."""
        # A poisoned join on a connection of its own each: should one be wrongly taken, the
        # next would otherwise be refused as already_joined and hide what it tests.
        for i, (field, poison, payload, aliases) in enumerate(join_poisons(self.notice_hash)):
            if self.stop.is_set():
                return False
            call = self.calls[(i + self.rounds) % len(self.calls)]
            widget = Widget(self.url, call, resume=resumes.get(call["id"]))
            try:
                self._ask(widget, "join", field, poison, payload, aliases)
            finally:
                widget.close()
        cases, complete = decide_poisons(), True
        for i, call in enumerate(self.calls):
            widget = Widget(self.url, call, resume=resumes.get(call["id"]))
            try:
                joined = widget.join("Eve")
                if not joined.get("ok"):
                    self.errors.append(f"the hostile participant's own valid join: {joined}")
                    complete = False
                    continue
                resumes[call["id"]] = joined["participant"]["resume"]
                for field, poison, payload, aliases in cases[i::len(self.calls)]:
                    if self.stop.is_set():
                        return False
                    self._ask(widget, "decide", field, poison, payload, aliases)
            finally:
                widget.close()
        return complete


def test_a_hostile_participant_cannot_fail_anyone_elses_data(roomy_server: Server) -> None:
    orgs = [Org(roomy_server) for _ in range(3)]
    calls = [org.open_call(lecture_notice()) for org in orgs]
    tally = Tally()
    stop = threading.Event()
    behaved = [WellBehaved(roomy_server.url, calls[i % 3], i, stop, tally)
               for i in range(WELL_BEHAVED)]
    hostile = Hostile(roomy_server.url, calls, stop)
    for thread in [*behaved, hostile]:
        thread.start()
    # The load runs DURATION seconds, and on until the hostile participant has sent every
    # poison at least once (a slow machine), but never longer than MAX_DURATION.
    started = time.monotonic()
    time.sleep(DURATION)
    wait_until(lambda: hostile.completed >= 1, MAX_DURATION - (time.monotonic() - started))
    stop.set()
    for thread in [*behaved, hostile]:
        thread.join(60)
    assert not any(t.is_alive() for t in [*behaved, hostile]), "a client hung"

    problems: list[str] = []
    acked = sum(len(ids) for ids in tally.acked.values())
    assert acked > 300, f"the load was too light to prove anything ({acked} decisions)"
    expected = {("join", f, p) for f, p, _, _ in join_poisons("sha256:")} | {
        ("decide", f, p) for f, p, _, _ in decide_poisons()}
    unsent = expected - {(event, f, p) for event, f, p, _, _ in hostile.answers}
    if unsent:
        problems.append(f"{len(unsent)} poisons were never sent in time: {sorted(unsent)}")

    # None of the well-behaved participants' requests was refused, and none went unanswered.
    if tally.refused:
        sent = acked + len(tally.refused)
        codes = Counter(f"{what}:{code}" for what, code in tally.refused)
        problems.append(f"{len(tally.refused)} of {sent} well-behaved requests refused: "
                        f"{dict(codes)}")
    problems += tally.errors[:10]

    # Every poison was refused on its own: validation_failed, naming the field.
    wrong: Counter[str] = Counter()
    for event, field, poison, aliases, answer in hostile.answers:
        error = answer.get("error") if isinstance(answer, dict) else None
        if not (isinstance(answer, dict) and answer.get("ok") is False and isinstance(error, dict)
                and error.get("code") == "validation_failed" and names_field(error, aliases)):
            got = (answer if not isinstance(answer, dict) else
                   "ok" if answer.get("ok") else
                   f"{error.get('code') if isinstance(error, dict) else error} "
                   f"fields={_field_names(error)}")
            wrong[f"{event} {field} ({poison}) → {str(got)[:120]}"] += 1
    problems += [f"poison answered wrongly ×{n}: {what}" for what, n in sorted(wrong.items())]
    problems += hostile.errors[:5]

    # Every acknowledged decision is in its call's ledger, under its participant.
    for org, call in zip(orgs, calls, strict=True):
        mine = tally.acked.get(call["id"], {})
        stored = {item["event_id"]: item["participant_id"] for item in ledger(org, call["id"])}
        missing = set(mine) - set(stored)
        if missing:
            problems.append(f"{call['id']}: {len(missing)} of {len(mine)} acknowledged "
                            "decisions are not in the ledger")
        misfiled = [e for e in set(mine) & set(stored) if stored[e] != mine[e]]
        if misfiled:
            problems.append(f"{call['id']}: {len(misfiled)} decisions filed under another "
                            "participant")

    # Counts and gate, while the well-behaved participants are still connected (the hostile
    # one has left): summary, roster and gate agree with the ledger and who is connected.
    connected = {call["id"]: {t.participant_id for t in behaved
                              if t.call is call and t.participant_id is not None}
                 for call in calls}
    for org, call in zip(orgs, calls, strict=True):
        # A leave is handled after the client's disconnect returns: give it a moment.
        def settled(org: Org = org, call: dict[str, Any] = call) -> bool:
            summary = org.get(f"/api/v1/calls/{call['id']}")["summary"]
            return bool(summary["present"] == len(connected[call["id"]]))
        wait_until(settled, 10)
        problems += check_call(org, call["id"], connected[call["id"]])

    # Every leave is stored: once everyone has gone, nobody is present and nothing blocks.
    for thread in behaved:
        if thread.widget is not None:
            thread.widget.close()
    for org, call in zip(orgs, calls, strict=True):
        def empty(org: Org = org, call: dict[str, Any] = call) -> bool:
            return bool(org.get(f"/api/v1/calls/{call['id']}")["summary"]["present"] == 0)
        wait_until(empty, 10)
        problems += [f"after everyone left: {p}" for p in check_call(org, call["id"], set())]

    verdict = roomy_server.cli("verify-ledger", check=False)
    if verdict.returncode != 0:
        problems.append(f"verify-ledger failed: {verdict.stdout[-300:]} {verdict.stderr[-300:]}")
    assert not problems, "\n".join(problems)



def _field_names(error: Any) -> list[str]:
    """The names a refusal gave, each cut short (a poisoned key can be a megabyte long)."""
    fields = error.get("fields") if isinstance(error, dict) else None
    return sorted(ascii(name)[:40] for name in fields) if isinstance(fields, dict) else []
