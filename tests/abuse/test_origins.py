"""Origins per organisation: a page of organisation B cannot use organisation A's token.

Before: one origin list for all organisations; an Origin equal to Host was trusted; the default
namespace `/` accepted connections with no token; the widget page listed every embed origin.
"""

import asyncio
import time
from typing import Any

import pytest
import requests
import socketio

from tests.abuse.raw import exchange, request, status_of
from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Server

A_SITE, B_SITE = "https://meet.a.example", "https://meet.b.example"
A_SECOND = "https://intranet.a.example"


def connect(server: Server, namespace: str, token: str | None, origin: str | None) -> Any:
    """None when connected (and then disconnected), else the refusal's data."""
    client = socketio.Client(reconnection=False)
    refusals: list[Any] = []
    client.on("connect_error", refusals.append, namespace=namespace)
    headers = {"Origin": origin} if origin else {}
    try:
        client.connect(server.url, namespaces=[namespace], transports=["polling"],
                       headers=headers, auth={"token": token} if token else None,
                       wait_timeout=5)
    except socketio.exceptions.ConnectionError as err:
        data = refusals[0] if refusals else str(err)
        # Socket.IO v5 sends {"message", "data"}; our codes are in data.
        return data.get("data") or data if isinstance(data, dict) else data
    client.disconnect()
    return None


@pytest.fixture(scope="module")
def two_orgs(server: Server) -> tuple[dict, dict]:
    a = Org(server, origins=(A_SITE, A_SECOND)).open_call(lecture_notice())
    b = Org(server, origins=(B_SITE,)).open_call(lecture_notice())
    deadline = time.monotonic() + 15  # the server learns new origins within MAINTENANCE_TICK
    while connect(server, "/participant", b["widget"]["token"], B_SITE) is not None:
        assert time.monotonic() < deadline, "the server never learned organisation B's origin"
        time.sleep(0.5)
    return a, b


@pytest.mark.parametrize("namespace,role", [("/participant", "widget"), ("/host", "host")])
def test_a_page_of_b_cannot_use_a_token_of_a(server: Server, two_orgs: tuple[dict, dict],
                                             namespace: str, role: str) -> None:
    a, b = two_orgs
    refusal = connect(server, namespace, a[role]["token"], B_SITE)
    assert isinstance(refusal, dict) and refusal["code"] == "origin_not_allowed", refusal
    assert connect(server, namespace, a[role]["token"], A_SITE) is None
    assert connect(server, namespace, a[role]["token"], A_SECOND) is None
    assert connect(server, namespace, b[role]["token"], B_SITE) is None


def test_an_origin_equal_to_host_is_not_trusted_by_itself(server: Server,
                                                          two_orgs: tuple[dict, dict]) -> None:
    async def handshake(host: str, origin: str) -> int:
        return status_of(await exchange(server.port, request(
            "GET", "/socket.io/?EIO=4&transport=polling", {"Host": host, "Origin": origin})))

    rebound = f"rebound.example:{server.port}"
    assert asyncio.run(handshake(rebound, f"http://{rebound}")) == 400
    # The widget's iframe and the dashboard run on the server's own origin (loopback here).
    own = f"127.0.0.1:{server.port}"
    assert asyncio.run(handshake(own, f"http://{own}")) == 200


def test_the_default_namespace_refuses_everyone(server: Server,
                                                two_orgs: tuple[dict, dict]) -> None:
    a, _ = two_orgs
    for token in (None, a["widget"]["token"], a["host"]["token"]):
        refusal = connect(server, "/", token, None)
        assert isinstance(refusal, dict) and refusal["code"] == "unknown_namespace", refusal


def test_the_widget_page_names_only_the_parent_it_is_framed_by(
        server: Server, two_orgs: tuple[dict, dict]) -> None:
    a, _ = two_orgs
    page = f"{server.url}/widget/{a['id']}"

    def ancestors(**kwargs: Any) -> str:
        policy = requests.get(page, timeout=5, **kwargs).headers["Content-Security-Policy"]
        return policy.split("frame-ancestors", 1)[1].split(";")[0].strip()

    assert ancestors() == "'none'"
    assert ancestors(params={"parent": A_SITE}) == A_SITE
    assert ancestors(headers={"Referer": A_SECOND + "/room/7"}) == A_SECOND
    assert ancestors(params={"parent": B_SITE}) == "'none'"
    body = requests.get(page, params={"parent": A_SITE}, timeout=5).text
    assert A_SECOND not in body and A_SECOND not in str(
        requests.get(page, params={"parent": A_SITE}, timeout=5).headers)
