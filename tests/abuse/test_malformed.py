"""Lone surrogates, wrong methods and chunked bodies: 4xx with a clear answer, never 5xx.

Before: a lone surrogate in a REST body gave 500 (it failed when stored); one in a socket token
left the client with no connect answer; 405 answers lacked Allow; a chunked body was read as
empty.
"""

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import socketio

from tests.abuse.conftest import abuse_server
from tests.abuse.raw import body_of, exchange, request, status_of
from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Hundreds of poisoned requests a second from one address: above API_RATE_LIMIT, which
    # test_rate_limits checks; here every request must reach the validation.
    with abuse_server(tmp_path_factory.mktemp("malformed"),
                      env={"WIDGET_SERVER_API_RATE_LIMIT": "100000/second"}) as running:
        yield running


LONE = ["\ud800", "\udfff", "a\udc80b"]
ENCODED = ["%ED%A0%80", "%ED%BF%BF", "\\ud800"]  # CESU-8 bytes of a surrogate; a JSON escape


def every_string(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """Paths to every string (as value) and every key in a JSON document."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, ("key", key))
            yield from every_string(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from every_string(item, (*path, index))


def poisoned(document: Any, path: tuple, bad: str) -> Any:
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    last = path[-1]
    if isinstance(last, tuple):  # a key
        target[last[1] + bad] = target.pop(last[1])
    else:
        target[last] = target[last] + bad
    return copy


def post_raw(server: Server, org: Org, path: str, document: Any) -> requests.Response:
    # json.dumps escapes the surrogate as \udXXX: what a client would send.
    return requests.post(server.url + path, data=json.dumps(document).encode(),
                         headers={"Authorization": f"Bearer {org.key}",
                                  "Content-Type": "application/json"}, timeout=10)


def test_lone_surrogates_in_every_body_field_are_refused(server: Server, org: Org) -> None:
    notice = lecture_notice()
    published = org.post("/api/v1/notices", notice)
    call_body = {"title": "A call", "notice_id": published["id"]}
    statuses: list[int] = []
    for path_url, document in (("/api/v1/notices", notice),
                               (f"/api/v1/notices/{published['id']}/versions", notice),
                               ("/api/v1/calls", call_body)):
        for where in every_string(document):
            for bad in LONE[:2]:
                answer = post_raw(server, org, path_url, poisoned(document, where, bad))
                statuses.append(answer.status_code)
                assert 400 <= answer.status_code < 500, (path_url, where, answer.text[:200])
                assert answer.json()["code"] in ("validation_failed", "malformed_request")
    print(f"\n{len(statuses)} poisoned bodies: statuses {sorted(set(statuses))}")
    # Nothing was stored: the organisation still has the one notice published above.
    assert [n["id"] for n in org.get("/api/v1/notices")] == [published["id"]]


def test_lone_surrogates_in_paths_queries_and_keys_are_refused(server: Server, org: Org) -> None:
    call = org.open_call(lecture_notice())
    paths = ["/api/v1/calls/{x}", "/api/v1/calls/{x}/participants", "/api/v1/calls/{x}/gate",
             "/api/v1/calls/{x}/decisions", "/api/v1/notices/{x}", "/widget/{x}",
             "/api/v1/calls?status={x}", "/api/v1/calls?{x}=1",
             f"/api/v1/calls/{call['id']}/decisions?format={{x}}",
             f"/api/v1/calls/{call['id']}/decisions?since={{x}}"]
    seen: set[int] = set()
    for template in paths:
        for bad in ENCODED:
            answer = org.http.get(server.url + template.format(x=bad), timeout=10)
            seen.add(answer.status_code)
            assert 400 <= answer.status_code < 500, (template, bad, answer.status_code)
    for key in (b"wsk_\xed\xa0\x80_x", b"\xed\xa0\x80", org.key.encode() + b"\xed\xa0\x80"):
        answer = requests.get(server.url + "/api/v1/calls",
                              headers={"Authorization": b"Bearer " + key}, timeout=10)
        seen.add(answer.status_code)
        assert answer.status_code == 401
    print(f"\npaths, queries and keys with surrogates: statuses {sorted(seen)}")


@pytest.mark.parametrize("namespace", ["/participant", "/host"])
def test_a_surrogate_in_a_socket_token_gets_a_coded_refusal(server: Server,
                                                            namespace: str) -> None:
    for token in ("\ud800", "abc\udfffdef", "." * 10 + "\udc00"):
        client = socketio.Client(reconnection=False)
        refusals: list[Any] = []
        client.on("connect_error", refusals.append, namespace=namespace)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(server.url, namespaces=[namespace], auth={"token": token},
                           transports=["websocket"], wait_timeout=5)
        assert refusals and refusals[0]["data"]["code"] == "invalid_token", refusals


def test_405_names_the_allowed_methods(server: Server, org: Org) -> None:
    for method, path, allowed in (("DELETE", "/api/v1/calls", {"GET", "POST"}),
                                  ("PUT", "/api/v1/notices", {"GET", "POST"}),
                                  ("POST", "/healthz", {"GET"})):
        answer = org.http.request(method, server.url + path, timeout=10)
        assert answer.status_code == 405
        assert allowed <= {m.strip() for m in answer.headers["Allow"].split(",")}
        assert answer.json()["code"] == "method_not_allowed"


def test_a_chunked_body_is_not_read_as_empty(server: Server, org: Org) -> None:
    body = json.dumps({"title": "Chunked", "notice_id": "n_x"}).encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    answer = asyncio.run(exchange(server.port, request(
        "POST", "/api/v1/calls", {"Authorization": f"Bearer {org.key}",
                                  "Content-Type": "application/json",
                                  "Transfer-Encoding": "chunked"}, chunked)))
    assert status_of(answer) == 411
    assert "Content-Length" in json.loads(body_of(answer))["detail"]
