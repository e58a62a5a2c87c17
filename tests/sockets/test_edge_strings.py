"""Issue 8: every string a widget sends is checked at the edge. Generated strings (lone
surrogates, NUL, control characters, very long text, and ordinary text) in each field of
`join` and `decide`: the acknowledgement is always `ok: true` or `ok: false` with a code — never
an exception, never a hang — and a refusal stores nothing. Text no database can store (a lone
surrogate, a NUL byte) or far beyond any field's bound is refused with `validation_failed`
naming the field.

In-process (threading mode, Flask-SocketIO's test client, which JSON-encodes each packet as a
real client does: a lone surrogate reaches the server as the escape `\\ud800`). The app and
call fixtures are tests/sockets/conftest.py's.
"""

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.e2e.live_load import names_field
from widget_server.domain.models import Base, Participant
from widget_server.realtime import socketio

LONG = 10_000  # longer than any field of join or decide may be
ANSWER_WITHIN = 20.0  # seconds: an acknowledgement that takes longer is a hang

EDGE_SETTINGS = settings(max_examples=100, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                HealthCheck.too_slow])

# Any code point, lone surrogates included (Hypothesis leaves them out unless asked), and the
# characters that have broken stores before, often.
_CHARACTER = st.one_of(st.characters(), st.characters(categories=["Cs"]),
                       st.sampled_from(["\x00", "\ud800", "\udfff", "\x1f", "\x7f", "\u2028",
                                        "\ufeff", "é", "😀", " "]))
STRINGS = st.one_of(
    st.text(_CHARACTER, max_size=40),
    st.builds(lambda c, n: c * n, _CHARACTER, st.integers(LONG, 1_100_000)),
    st.builds(lambda text, c: text + c + text, st.text(max_size=20),
              st.sampled_from(["\x00", "\ud800", "\udc00"])),
    st.sampled_from(["", " ", "Ada", "en", "de", "granted", "withdrawn", "recording",
                     "ada@example.org", str(uuid.uuid4())]),
)


def row_counts(app: Flask) -> dict[str, int]:
    with app.extensions["widget_db"].read_session() as s:
        return {table.name: int(s.scalar(select(func.count()).select_from(table)) or 0)
                for table in Base.metadata.sorted_tables}


def disconnect(app: Flask, client: Any) -> None:
    """Leave, and wait until the leave is stored (the server hands it in without waiting):
    the next example's row counts must not catch this one's leave."""
    client.disconnect(namespace="/participant")
    deadline = time.monotonic() + ANSWER_WITHIN
    while True:
        with app.extensions["widget_db"].read_session() as s:
            present = s.scalar(select(func.count()).select_from(Participant)
                               .where(Participant.present.is_(True)))
        if not present:
            return
        assert time.monotonic() < deadline, f"a leave was not stored in {ANSWER_WITHIN} s"
        time.sleep(0.01)


def unstorable(value: Any) -> bool:
    """Text no database should be handed: a NUL, a lone surrogate, or far too long."""
    if not isinstance(value, str):
        return False
    return "\x00" in value or len(value) > LONG or any(
        0xD800 <= ord(c) <= 0xDFFF for c in value)


def answer_of(client: Any, event: str, payload: Any) -> Any:
    """The acknowledgement, or a failure if the handler raised or did not answer in time."""
    outcome: dict[str, Any] = {}

    def send() -> None:
        try:
            outcome["answer"] = client.emit(event, payload, namespace="/participant",
                                            callback=True)
        except BaseException as err:  # reported below, with the payload's field
            outcome["error"] = err

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    sender.join(ANSWER_WITHIN)
    assert not sender.is_alive(), f"no acknowledgement of {event} within {ANSWER_WITHIN} s"
    assert "error" not in outcome, f"{event} raised {outcome['error']!r}"
    return outcome["answer"]


def check_answer(app: Flask, before: dict[str, int], answer: Any, value: Any,
                 aliases: tuple[str, ...]) -> None:
    assert isinstance(answer, dict), answer
    if answer.get("ok") is True:
        assert not unstorable(value), f"took unstorable text {ascii(value)[:80]}"
        return
    assert answer.get("ok") is False, answer
    error = answer.get("error")
    assert isinstance(error, dict) and isinstance(error.get("code"), str) and error["code"]
    assert row_counts(app) == before, f"a refusal ({error['code']}) stored something"
    if unstorable(value):
        assert error["code"] == "validation_failed", (error["code"], ascii(value)[:80])
        assert names_field(error, aliases), (aliases, [ascii(k)[:40] for k in
                                                       error.get("fields") or {}])


def connect(app: Flask, call: dict[str, Any]) -> Any:
    client = socketio.test_client(app, namespace="/participant",
                                  auth={"token": call["widget_token"]})
    assert client.is_connected("/participant")
    return client


def valid_join(call: dict[str, Any]) -> dict[str, Any]:
    return {"fields": {"display_name": "Ada"}, "language": "en",
            "seen": {"notice_hash": call["notice"]["content_hash"]}}


JoinPoison = Callable[[dict[str, Any], Any], None]
JOIN_FIELDS: dict[str, tuple[JoinPoison, tuple[str, ...]]] = {
    "fields.display_name": (lambda p, v: p["fields"].__setitem__("display_name", v),
                            ("display_name",)),
    "fields.email": (lambda p, v: p["fields"].__setitem__("email", v), ("email",)),
    "a key of fields": (lambda p, v: p["fields"].__setitem__(v, "x"), ("fields",)),
    "language": (lambda p, v: p.__setitem__("language", v), ("language",)),
    "seen.notice_hash": (lambda p, v: p["seen"].__setitem__("notice_hash", v),
                         ("seen", "notice_hash")),
}

DecidePoison = Callable[[dict[str, Any], Any], None]
DECIDE_FIELDS: dict[str, tuple[DecidePoison, tuple[str, ...]]] = {
    "event_id": (lambda p, v: p.__setitem__("event_id", v), ("event_id",)),
    "a choice key": (lambda p, v: p.__setitem__("choices", {v: "granted"}), ("choices",)),
    "a choice value": (lambda p, v: p["choices"].__setitem__("recording", v),
                       ("choices", "recording")),
    "fields.email": (lambda p, v: p.update(choices={"notes_email": "granted"},
                                           fields={"email": v}), ("email",)),
    "fields.display_name": (lambda p, v: p.__setitem__("fields", {"display_name": v}),
                            ("display_name",)),
    "a key of fields": (lambda p, v: p.__setitem__("fields", {v: "x"}), ("fields",)),
}


@EDGE_SETTINGS
@given(field=st.sampled_from(sorted(JOIN_FIELDS)), value=STRINGS)
def test_any_string_in_a_join_is_answered_and_a_refusal_stores_nothing(
        app: Flask, call: dict[str, Any], field: str, value: str) -> None:
    put, aliases = JOIN_FIELDS[field]
    if field.startswith("a key"):
        aliases = (*aliases, value)  # the offending key itself names it too
    payload = valid_join(call)
    put(payload, value)
    client = connect(app, call)
    try:
        before = row_counts(app)
        check_answer(app, before, answer_of(client, "join", payload), value, aliases)
    finally:
        disconnect(app, client)


@EDGE_SETTINGS
@given(field=st.sampled_from(sorted(DECIDE_FIELDS)), value=STRINGS)
def test_any_string_in_a_decision_is_answered_and_a_refusal_stores_nothing(
        app: Flask, call: dict[str, Any], field: str, value: str) -> None:
    put, aliases = DECIDE_FIELDS[field]
    if field in ("a choice key", "a key of fields"):
        aliases = (*aliases, value)  # the offending key itself names it too
    client = connect(app, call)
    try:
        joined = answer_of(client, "join", valid_join(call))
        assert joined.get("ok"), joined
        payload = {"event_id": str(uuid.uuid4()), "choices": {"recording": "granted"}}
        put(payload, value)
        before = row_counts(app)
        check_answer(app, before, answer_of(client, "decide", payload), value, aliases)
    finally:
        disconnect(app, client)
