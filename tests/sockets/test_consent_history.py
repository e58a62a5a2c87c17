"""The host's `history` event: the call's past summaries for the consent chart, sampled, with
nothing personal in them; and only for a host token."""

import json
import uuid
from typing import Any

from flask import Flask

from tests.sockets.test_namespaces import emit, join, participant
from widget_server.realtime import socketio
from widget_server.services import consent_history


def host(app: Flask, call: dict[str, Any]) -> Any:
    client = socketio.test_client(app, namespace="/host", auth={"token": call["host_token"]})
    assert client.is_connected("/host")
    return client


def test_a_host_reads_the_calls_summaries_over_time(app: Flask, call: dict[str, Any]) -> None:
    watcher = host(app, call)
    assert emit(watcher, "history", {}, namespace="/host") == {"ok": True, "seq": 0,
                                                               "points": []}
    ada = participant(app, call)
    join(ada, {"display_name": "Ada Quincewhistle"})
    emit(ada, "decide", {"event_id": str(uuid.uuid4()), "choices": {"recording": "granted"}})
    answer = emit(watcher, "history", {}, namespace="/host")
    assert answer["ok"] and answer["seq"] == 2
    assert [p["seq"] for p in answer["points"]] == [1, 2]
    assert all(set(p) == {"seq", "at", "summary"} for p in answer["points"])
    assert answer["points"][0]["summary"]["purposes"]["recording"] == {"pending": 1}
    assert answer["points"][1]["summary"] == {
        "present": 1, "purposes": {"recording": {"granted": 1}, "notes_email": {"pending": 1},
                                   "attendance": {"not_objected": 1},
                                   "service": {"informed": 1}}}
    assert "Quincewhistle" not in json.dumps(answer)
    refused = emit(watcher, "history", {"since": 0}, namespace="/host")
    assert refused["ok"] is False and refused["error"]["code"] == "validation_failed"
    assert "since" in refused["error"]["fields"]


def test_only_a_host_token_reads_the_history(app: Flask, call: dict[str, Any]) -> None:
    client = socketio.test_client(app, namespace="/host", auth={"token": call["widget_token"]})
    assert not client.is_connected("/host")
    answer = emit(participant(app, call), "history", {})
    assert not (isinstance(answer, dict) and answer.get("ok"))


def test_a_long_call_is_sampled_with_its_first_and_latest_update(
        app: Flask, call: dict[str, Any]) -> None:
    for index in range(12):
        join(participant(app, call), {"display_name": f"P{index}"})
    with app.extensions["widget_db"].read_session() as session:
        sampled = consent_history.summary_points(session, call["id"], limit=5)
    seqs = [p["seq"] for p in sampled["points"]]
    assert sampled["seq"] == 12 and seqs[0] == 1 and seqs[-1] == 12 and len(seqs) == 5
    assert seqs == sorted(seqs)
    assert [p["summary"]["present"] for p in sampled["points"]] == seqs
