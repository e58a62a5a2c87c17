"""Every token, namespace and call mismatch is refused at connect, with a code."""

import time

import pytest
import socketio

from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Participant, Server


def refusal(server: Server, namespace: str, auth: object) -> dict:
    client = socketio.Client(reconnection=False)
    errors: list[dict] = []
    client.on("connect_error", errors.append, namespace=namespace)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, namespaces=[namespace], auth=auth, transports=["websocket"],
                       wait_timeout=5)
    client.disconnect()
    assert errors, "no connect_error data"
    # Socket.IO v5 carries {"message", "data"}; the contract's code is in data.
    assert errors[0]["message"]
    return errors[0]["data"]


def tamper(token: str) -> str:
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


def test_a_widget_token_only_joins_as_participant(server: Server, call: dict) -> None:
    assert refusal(server, "/host", {"token": call["widget"]["token"]})["code"] == "wrong_role"


def test_a_host_token_only_watches(server: Server, call: dict) -> None:
    assert refusal(server, "/participant", {"token": call["host"]["token"]})["code"] == (
        "wrong_role")


@pytest.mark.parametrize("namespace", ["/participant", "/host"])
def test_tampered_and_missing_tokens_are_refused(server: Server, call: dict,
                                                 namespace: str) -> None:
    key = "widget" if namespace == "/participant" else "host"
    assert refusal(server, namespace, {"token": tamper(call[key]["token"])})["code"] == (
        "invalid_token")
    assert refusal(server, namespace, {})["code"] == "invalid_token"
    assert refusal(server, namespace, None)["code"] == "invalid_token"


def test_a_token_of_another_servers_key_is_refused(server: Server, call: dict) -> None:
    from widget_server.domain import tokens

    forged = tokens.issue("another-secret-key-" + "y" * 30, call["id"], tokens.WIDGET)
    assert refusal(server, "/participant", {"token": forged})["code"] == "invalid_token"


def test_a_widget_token_reaches_only_its_own_call(server: Server, org: Org) -> None:
    first, second = org.open_call(lecture_notice()), org.open_call(lecture_notice())
    person = Participant(server.url, first["widget"]["token"])
    person.join({"display_name": "Only here"})
    people_of_second = org.get(f"/api/v1/calls/{second['id']}/participants")["participants"]
    assert people_of_second == []
    person.close()


def test_an_ended_call_refuses_participants_but_hosts_may_still_look(server: Server,
                                                                     org: Org) -> None:
    call = org.open_call(lecture_notice())
    org.post(f"/api/v1/calls/{call['id']}/end")
    assert refusal(server, "/participant", {"token": call["widget"]["token"]})["code"] == (
        "call_ended")
    host = socketio.SimpleClient()
    host.connect(server.url, namespace="/host", auth={"token": call["host"]["token"]},
                 transports=["websocket"])
    event, roster = host.receive(timeout=5)
    assert event == "roster" and roster["call"]["status"] == "ended"
    host.disconnect()


def test_socket_cors_allows_the_organisations_origins_only(server: Server, org: Org) -> None:
    import requests

    def handshake(origin: str) -> requests.Response:
        return requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling",
                            headers={"Origin": origin}, timeout=5)

    # The allow-list is refreshed from the database every few seconds, never per handshake.
    deadline = time.monotonic() + 15
    allowed = handshake("https://meet.example.org")
    while allowed.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
        allowed = handshake("https://meet.example.org")
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://meet.example.org"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    assert handshake("https://evil.example.com").status_code == 400
    assert handshake(server.url).status_code == 200  # the server's own pages


def test_a_widget_token_framed_for_another_call_is_refused(server: Server, org: Org) -> None:
    """The page's call id decides which origins may frame it; a token of another call must not
    borrow that permission."""
    mine, other = org.open_call(lecture_notice()), org.open_call(lecture_notice())
    refused = refusal(server, "/participant", {"token": other["widget"]["token"],
                                               "call": mine["id"]})
    assert refused["code"] == "wrong_call"
    person = Participant(server.url, mine["widget"]["token"])  # its own call id is fine
    person.close()
