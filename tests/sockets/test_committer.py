"""The live committer does not share fate (issue 8): an exception wakes every waiting client
with commit_failed and the loop goes on; a wait is bounded; a batch whose commit fails is
split until the one command that cannot be stored is found."""

import threading
import time
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.sockets.test_namespaces import emit, join, participant
from widget_server.domain.errors import CommitFailed
from widget_server.domain.models import DecisionEvent, Participant
from widget_server.realtime.committer import Committer
from widget_server.services import live


def committer_of(app: Flask) -> Committer:
    committer: Committer = app.extensions["widget_committer"]
    return committer


def joined_clients(app: Flask, call: dict[str, Any], n: int) -> list[Any]:
    clients = [participant(app, call) for _ in range(n)]
    for i, client in enumerate(clients):
        assert join(client, {"display_name": f"P{i}"})["ok"]
    return clients


def decide_all(clients: list[Any], state: str) -> list[dict[str, Any]]:
    """Every client decides at once, each from its own thread, as live clients do."""
    answers: list[dict[str, Any]] = [{} for _ in clients]

    def one(i: int) -> None:
        answers[i] = emit(clients[i], "decide", {"event_id": str(uuid.uuid4()),
                                                 "choices": {"recording": state}})

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_an_exception_in_the_committer_wakes_every_waiting_client_and_the_loop_goes_on(
        app: Flask, call: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    committer = committer_of(app)
    clients = joined_clients(app, call, 6)
    real_store = committer._store
    raised = threading.Event()

    def store_then_raise(commands: list[live.Command]) -> Any:
        if not raised.is_set():
            raised.set()
            raise RuntimeError("a bug outside the database work")
        return real_store(commands)

    monkeypatch.setattr(committer, "_store", store_then_raise)
    started = time.monotonic()
    answers = decide_all(clients, "granted")
    assert raised.is_set()
    failed = [a for a in answers if not a["ok"]]
    assert failed and all(a["error"]["code"] == "commit_failed" for a in failed)
    assert time.monotonic() - started < committer.timeout
    # the loop is alive: the next decisions succeed
    again = decide_all(clients, "granted")
    assert all(a["ok"] for a in again), again


def test_a_client_waits_at_most_the_timeout_and_a_retry_gets_the_original_result(
        app: Flask, call: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    committer = committer_of(app)
    [client] = joined_clients(app, call, 1)
    monkeypatch.setattr(committer, "timeout", 0.3)
    real_store = committer._store
    slow = threading.Event()

    def slow_store(commands: list[live.Command]) -> Any:
        if not slow.is_set():
            slow.set()
            time.sleep(1.0)  # a database that stalls
        return real_store(commands)

    monkeypatch.setattr(committer, "_store", slow_store)
    event_id = str(uuid.uuid4())
    started = time.monotonic()
    first = emit(client, "decide", {"event_id": event_id, "choices": {"recording": "granted"}})
    assert first["error"]["code"] == "commit_failed"
    assert time.monotonic() - started < 0.9
    time.sleep(1.0)  # the stalled batch commits after all
    monkeypatch.setattr(committer, "timeout", 10.0)
    retry = emit(client, "decide", {"event_id": event_id, "choices": {"recording": "granted"}})
    assert retry["ok"] and retry["state"]["recording"] == "granted"
    with app.extensions["widget_db"].read_session() as s:
        assert s.query(DecisionEvent).filter(DecisionEvent.event_id == event_id).count() == 1


def test_a_batch_that_cannot_be_stored_is_split_until_only_the_culprit_is_refused(
        app: Flask, call: dict[str, Any]) -> None:
    """Defence in depth behind the edge checks: a command that reaches the database with a
    value it refuses (here a lone surrogate, built past the edge) fails alone."""
    committer = committer_of(app)
    with app.extensions["widget_db"].read_session() as s:
        people = [p for (p,) in s.execute(DecisionEvent.__table__.select()
                                          .with_only_columns(DecisionEvent.participant_id))]
    assert not people
    clients = joined_clients(app, call, 5)
    with app.extensions["widget_db"].read_session() as s:
        ids = sorted({p for (p,) in s.execute(DecisionEvent.__table__.select()
                                               .with_only_columns(DecisionEvent.participant_id))})
    good = [live.Decide(call["id"], pid, str(uuid.uuid4()), {"recording": "granted"})
            for pid in ids]
    poison = live.Decide(call["id"], ids[0], "\ud800" + str(uuid.uuid4())[1:],
                         {"recording": "denied"})
    commands = [*good[:2], poison, *good[2:]]
    applied, errors = committer._store(commands)
    kinds = [o["state"]["recording"] if isinstance(o, dict) else o.code
             for o in applied.outcomes]
    assert kinds == ["granted", "granted", "commit_failed", "granted", "granted", "granted"]
    assert errors  # the failures were seen (and are logged by the loop, without values)
    assert len(clients) == 5


def test_a_leave_that_could_not_be_stored_is_retried_until_it_is(
        app: Flask, call: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    committer = committer_of(app)
    [client] = joined_clients(app, call, 1)
    real_store = committer._store
    failures = {"left": 2}

    def flaky_store(commands: list[live.Command]) -> Any:
        if failures["left"] and any(isinstance(c, live.Leave) for c in commands):
            failures["left"] -= 1
            return live.Applied([CommitFailed("disk stalled")] * len(commands)), ["disk"]
        return real_store(commands)

    monkeypatch.setattr(committer, "_store", flaky_store)
    client.disconnect(namespace="/participant")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with app.extensions["widget_db"].read_session() as s:
            present = s.scalar(select(func.count()).select_from(Participant)
                               .where(Participant.present.is_(True)))
        if present == 0:
            break
        time.sleep(0.1)
    assert failures["left"] == 0 and present == 0
