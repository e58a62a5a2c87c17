"""The /processor namespace in-process (threading mode): a grant token only; its plan on
connect and after every change; `applied`; hosts see the processors; revocation cuts the
connection; grant tokens refused on /participant and /host; pushes coalesced per call."""

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.sockets.test_namespaces import emit, join, participant
from widget_server.realtime import socketio
from widget_server.realtime.plans import PlanFeed
from widget_server.services import calls, grants

NS = "/processor"


def make_grant(app: Flask, call_id: str, purpose: str | None = "recording",
               role: str = "processor") -> dict[str, Any]:
    with app.extensions["widget_db"].session() as s:
        org = calls.organisation_of(s, call_id)
        return grants.create_grant(s, org, call_id, name="Recorder", purpose=purpose,
                                   role=role)


def revoke(app: Flask, grant: dict[str, Any]) -> None:
    with app.extensions["widget_db"].session() as s:
        grants.revoke_grant(s, calls.organisation_of(s, grant["call_id"]), grant["call_id"],
                            grant["id"])
    app.extensions["widget_grant_revoked"](grant["id"])


def processor(app: Flask, auth: Any) -> Any:
    return socketio.test_client(app, namespace=NS, auth=auth)


def wait_for(client: Any, event: str, namespace: str = NS, until: Callable[[Any], bool] =
             lambda _: True, timeout: float = 5.0) -> Any:
    """The first `event` received (within timeout) whose payload satisfies `until`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in client.get_received(namespace):
            if message["name"] == event and until(message["args"][0]):
                return message["args"][0]
        time.sleep(0.02)
    raise AssertionError(f"no {event} within {timeout} s")


def entry(plan: dict[str, Any], pid: str) -> dict[str, Any] | None:
    return next((p for p in plan["participants"] if p["id"] == pid), None)


def test_a_processor_gets_its_plan_on_connect_and_after_each_change(
        app: Flask, call: dict[str, Any]) -> None:
    grant = make_grant(app, call["id"])
    bot = processor(app, {"token": grant["token"]})
    assert bot.is_connected(NS)
    first = wait_for(bot, "plan")
    assert (first["purpose"], first["participants"], first["allowed"]) == ("recording", [],
                                                                         False)
    ann = participant(app, call)
    ann_id = join(ann, {"display_name": "Ann"}, ref="meet-ann")["participant"]["id"]
    joined = wait_for(bot, "plan", until=lambda p: entry(p, ann_id) is not None)
    assert entry(joined, ann_id) == {"id": ann_id, "ref": "meet-ann", "state": "pending",
                                     "present": True, "allowed": False}
    emit(ann, "decide", {"event_id": str(uuid.uuid4()), "choices": {"recording": "granted"}})
    granted = wait_for(bot, "plan", until=lambda p: p["allowed"])
    assert entry(granted, ann_id)["fields"] == {"display_name": "Ann"}  # type: ignore[index]
    emit(ann, "decide", {"event_id": str(uuid.uuid4()), "choices": {"recording": "withdrawn"}})
    withdrawn = wait_for(bot, "plan", until=lambda p: not p["allowed"])
    assert entry(withdrawn, ann_id) == {"id": ann_id, "ref": "meet-ann", "state": "withdrawn",
                                        "present": True, "allowed": False}
    assert withdrawn["seq"] > granted["seq"]


def test_applied_is_acknowledged_and_hosts_see_the_processor(app: Flask,
                                                            call: dict[str, Any]) -> None:
    grant = make_grant(app, call["id"])
    host = socketio.test_client(app, namespace="/host", auth={"token": call["host_token"]})
    listed = wait_for(host, "processors", "/host")
    assert [(p["name"], p["purpose"], p["last_applied_seq"]) for p in listed["items"]] == [
        ("Recorder", "recording", None)]
    bot = processor(app, {"token": grant["token"]})
    seq = wait_for(bot, "plan")["seq"]
    answer = emit(bot, "applied", {"seq": seq}, NS)
    assert answer["ok"] and answer["processor"]["last_applied_seq"] == seq
    shown = wait_for(host, "processors", "/host",
                     until=lambda p: p["items"][0]["last_applied_seq"] == seq)
    assert shown["items"][0]["applied_at"] is not None


@pytest.mark.parametrize("data", [None, {}, {"seq": "1"}, {"seq": -1}, {"seq": True},
                                  {"seq": 99}, [1]])
def test_bad_applied_payloads_are_refused(app: Flask, call: dict[str, Any], data: Any) -> None:
    bot = processor(app, {"token": make_grant(app, call["id"])["token"]})
    wait_for(bot, "plan")
    answer = emit(bot, "applied", data, NS)
    assert answer["ok"] is False and answer["error"]["code"] == "validation_failed"


def test_another_purposes_plan_is_refused_on_the_socket(app: Flask, call: dict[str, Any]
                                                        ) -> None:
    bot = processor(app, {"token": make_grant(app, call["id"])["token"]})
    refused = emit(bot, "plan", {"purpose": "notes_email"}, NS)
    assert refused["ok"] is False and refused["error"]["code"] == "wrong_purpose"
    own = emit(bot, "plan", {}, NS)
    assert own["ok"] and own["plan"]["purpose"] == "recording"
    other = processor(app, {"token": make_grant(app, call["id"])["token"],
                            "purpose": "notes_email"})
    assert not other.is_connected(NS)


def test_a_grant_token_naming_another_call_is_refused(app: Flask, call: dict[str, Any]
                                                      ) -> None:
    grant = make_grant(app, call["id"])
    assert not processor(app, {"token": grant["token"], "call": "call_other"}).is_connected(NS)
    admitted = processor(app, {"token": grant["token"], "call": call["id"]})
    assert admitted.is_connected(NS)
    wait_for(admitted, "plan")


def test_widget_host_telephony_and_revoked_tokens_are_refused(app: Flask,
                                                             call: dict[str, Any]) -> None:
    for token in (call["widget_token"], call["host_token"], None, "grt_x.y",
                  make_grant(app, call["id"], None, "telephony")["token"]):
        assert not processor(app, {"token": token}).is_connected(NS), token
    grant = make_grant(app, call["id"])
    revoke(app, grant)
    assert not processor(app, {"token": grant["token"]}).is_connected(NS)


def test_a_grant_token_is_refused_on_participant_and_host(app: Flask, call: dict[str, Any]
                                                          ) -> None:
    token = make_grant(app, call["id"])["token"]
    for namespace in ("/participant", "/host"):
        client = socketio.test_client(app, namespace=namespace, auth={"token": token})
        assert not client.is_connected(namespace), namespace


def test_revoking_cuts_the_connection(app: Flask, call: dict[str, Any]) -> None:
    grant = make_grant(app, call["id"])
    bot = processor(app, {"token": grant["token"]})
    wait_for(bot, "plan")
    revoke(app, grant)
    assert not bot.is_connected(NS)


# coalescing, with a fake server ------------------------------------------------------------
class FakeIo:
    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str]] = []

    def emit(self, event: str, data: Any, to: str, namespace: str) -> None:
        self.emitted.append((event, data, to))


def test_a_burst_of_changes_costs_one_plan_computation_per_call(app: Flask,
                                                                call: dict[str, Any]) -> None:
    grant = make_grant(app, call["id"])
    tasks: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
    io = FakeIo()
    feed = PlanFeed(io, app.extensions["widget_db"],  # type: ignore[arg-type]
                    start_task=lambda fn, *args: tasks.append((fn, args)))
    for _ in range(50):
        feed.changed(call["id"])
    assert len(tasks) == 1  # one push scheduled, the other 49 changes ride on it
    fn, args = tasks.pop()
    fn(*args)
    assert feed.computed == 1
    assert [(e, to) for e, _, to in io.emitted] == [("plan", f"grant:{grant['id']}")]
    feed.changed(call["id"])  # after the push ended, a new change schedules a new one
    assert len(tasks) == 1


def test_a_change_during_a_push_gets_one_more_round(app: Flask, call: dict[str, Any]) -> None:
    make_grant(app, call["id"])
    tasks: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
    io = FakeIo()
    feed = PlanFeed(io, app.extensions["widget_db"],  # type: ignore[arg-type]
                    start_task=lambda fn, *args: tasks.append((fn, args)))
    original = feed._compute
    calls_seen = []

    def compute(call_id: str) -> Any:
        if not calls_seen:  # a commit lands while the first plan is computed
            feed.changed(call_id)
            feed.changed(call_id)
        calls_seen.append(call_id)
        return original(call_id)

    feed._compute = compute  # type: ignore[method-assign]
    feed.changed(call["id"])
    fn, args = tasks.pop()
    fn(*args)
    assert feed.computed == 2 and tasks == []


def test_a_call_without_processors_emits_nothing(app: Flask, call: dict[str, Any]) -> None:
    io = FakeIo()
    tasks: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
    feed = PlanFeed(io, app.extensions["widget_db"],  # type: ignore[arg-type]
                    start_task=lambda fn, *args: tasks.append((fn, args)))
    feed.changed(call["id"])
    fn, args = tasks.pop()
    fn(*args)
    assert io.emitted == []


def test_a_call_found_without_processors_costs_nothing_until_one_comes(
        app: Flask, call: dict[str, Any]) -> None:
    io = FakeIo()
    tasks: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
    feed = PlanFeed(io, app.extensions["widget_db"],  # type: ignore[arg-type]
                    start_task=lambda fn, *args: tasks.append((fn, args)))
    feed.changed(call["id"])
    fn, args = tasks.pop()
    fn(*args)
    for _ in range(20):  # busy call, no processor: no task, no read
        feed.changed(call["id"])
    assert tasks == [] and feed.computed == 1
    grant = make_grant(app, call["id"])
    feed.expect(call["id"])  # as a grant made (or a processor connected) on this process
    feed.changed(call["id"])
    fn, args = tasks.pop()
    fn(*args)
    assert [to for _, _, to in io.emitted] == [f"grant:{grant['id']}"]


def test_catch_up_pushes_a_change_this_process_did_not_push(app: Flask, call: dict[str, Any]
                                                            ) -> None:
    """A grant made on another process: this one had the call as without processors."""
    io = FakeIo()
    tasks: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
    feed = PlanFeed(io, app.extensions["widget_db"],  # type: ignore[arg-type]
                    start_task=lambda fn, *args: tasks.append((fn, args)))
    feed.changed(call["id"])
    tasks.pop()[0](call["id"])  # found without processors
    grant = make_grant(app, call["id"])  # elsewhere: this feed is not told
    join(participant(app, call), {"display_name": "A"})  # a change, pushed by nobody here
    feed.changed(call["id"])
    assert tasks == []
    feed.catch_up({call["id"]})
    fn, args = tasks.pop()
    fn(*args)
    [(event, plan, to)] = io.emitted
    assert (event, to, len(plan["participants"])) == ("plan", f"grant:{grant['id']}", 1)
    feed.catch_up({call["id"]})  # nothing new since: nothing pushed
    assert tasks == []
