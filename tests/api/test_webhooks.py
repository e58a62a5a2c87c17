"""Webhooks over REST (CONTRACT §D): endpoints with secrets shown once, their delivery log and
manual retry, tenant isolation, and every URL the SSRF rules refuse (each a test)."""

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import Api, assert_problem, make_app, new_org
from tests.services.support import World
from tests.webhook_receiver import Receiver
from widget_server.services.webhooks import delivery, sending

EVENTS = ["participant.joined", "decision.recorded", "gate.changed", "call.ended"]


@pytest.fixture
def loopback_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The server as the tests run it: http:// to loopback allowed."""
    app = make_app(database_url, tmp_path, ALLOW_HTTP_WEBHOOKS=1, WEBHOOK_TIMEOUT=1)
    yield app
    app.extensions["widget_db"].dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    if receiver.server is not None:
        receiver.stop()


def hook(api: Api, url: str, events: list[str] | None = None, **extra: Any) -> Any:
    return api.post("/api/v1/webhooks", {"url": url, "events": EVENTS if events is None else events, **extra})


def test_register_shows_the_secret_once(loopback_app: Flask, receiver: Receiver) -> None:
    api = Api(loopback_app.test_client(), new_org(loopback_app)[1])
    response = hook(api, receiver.url, description="Recording bot")
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) >= 24
    assert created["events"] == EVENTS and created["description"] == "Recording bot"
    listed = api.get("/api/v1/webhooks").get_json()
    assert [w["id"] for w in listed] == [created["id"]] and "secret" not in listed[0]
    one = api.get(f"/api/v1/webhooks/{created['id']}").get_json()
    assert one["url"] == receiver.url and "secret" not in one
    assert created["secret"] not in api.get("/api/v1/webhooks").get_data(as_text=True)


def test_the_delivery_log_and_a_manual_retry(loopback_app: Flask, receiver: Receiver) -> None:
    key = new_org(loopback_app)[1]
    api = Api(loopback_app.test_client(), key)
    created = hook(api, receiver.url).get_json()
    receiver.secret = created["secret"]
    call = api.call()
    world = World(loopback_app.extensions["widget_db"])
    world.join(call["id"], {"display_name": "Ada"})
    settings = loopback_app.config["WEBHOOKS"]
    receiver.behaviour = "500"
    with world.db.session() as s:
        [claimed] = delivery.claim(s, settings, 10)
    with world.db.session() as s:
        delivery.settle(s, settings, claimed, sending.attempt(claimed, settings))
    log = api.get(f"/api/v1/webhooks/{created['id']}/deliveries").get_json()
    assert len(log) == 1
    entry = log[0]
    assert (entry["event_type"], entry["call_id"], entry["status"], entry["attempts"],
            entry["last_status"]) == ("participant.joined", call["id"], "pending", 1, 500)
    assert entry["next_attempt_at"] and entry["delivered_at"] is None
    receiver.behaviour = "ok"
    retried = api.post(f"/api/v1/webhooks/{created['id']}/deliveries/{entry['id']}/retry")
    assert retried.status_code == 202 and retried.get_json()["status"] == "pending"
    with world.db.session() as s:
        [claimed] = delivery.claim(s, settings, 10)
    with world.db.session() as s:
        delivery.settle(s, settings, claimed, sending.attempt(claimed, settings))
    [got] = receiver.wait_for(1)
    assert got["id"] == entry["id"] and got["verified"]
    entry = api.get(f"/api/v1/webhooks/{created['id']}/deliveries?status=delivered"
                    ).get_json()[0]
    assert entry["status"] == "delivered" and entry["attempts"] == 2
    assert entry["delivered_at"] and entry["next_attempt_at"] is None
    assert_problem(api.post(f"/api/v1/webhooks/{created['id']}/deliveries/msg_nope/retry"),
                   404)
    assert_problem(api.get(f"/api/v1/webhooks/{created['id']}/deliveries?status=lost"), 422)


def test_another_organisation_sees_nothing(loopback_app: Flask, receiver: Receiver) -> None:
    api = Api(loopback_app.test_client(), new_org(loopback_app)[1])
    other = Api(loopback_app.test_client(), new_org(loopback_app, "Other")[1])
    created = hook(api, receiver.url).get_json()
    base = f"/api/v1/webhooks/{created['id']}"
    assert other.get("/api/v1/webhooks").get_json() == []
    assert_problem(other.get(base), 404)
    assert_problem(other.get(f"{base}/deliveries"), 404)
    assert_problem(other.post(f"{base}/deliveries/msg_x/retry"), 404)
    assert_problem(other.client.delete(base, headers=other.headers), 404)
    assert api.get(base).status_code == 200
    assert api.client.delete(base, headers=api.headers).status_code == 204
    assert_problem(api.get(base), 404)


def test_without_an_api_key_it_is_401(anonymous: Api) -> None:
    assert_problem(anonymous.get("/api/v1/webhooks"), 401)
    assert_problem(hook(anonymous, "https://example.org/hook"), 401)


@pytest.mark.parametrize("url,why", [
    ("http://93.184.215.14/hook", "https://"),  # http:// to a public host
    ("https://10.0.0.1/hook", "private"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://localhost/hook", "loopback"),  # a name resolving to loopback, not allowed
    ("https://127.0.0.1:8443/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://[::ffff:10.0.0.1]/hook", "private"),  # IPv4-mapped
    ("https://[fe80::1]/hook", "link-local"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://100.64.0.1/hook", "not a public"),
    ("https://user:secret@93.184.215.14/hook", "credentials"),
    ("https://" + "a" * 2040 + ".org/", "2048"),
    ("ftp://93.184.215.14/hook", "https://"),
    ("https://no-such-host.invalid/hook", "does not resolve"),
])
def test_refused_urls(api: Api, url: str, why: str) -> None:
    body = assert_problem(hook(api, url), 422)
    assert why in " ".join(body["errors"]["url"]), body
    assert api.get("/api/v1/webhooks").get_json() == []


def test_loopback_over_http_only_when_allowed(loopback_app: Flask, api: Api) -> None:
    assert_problem(hook(api, "http://127.0.0.1:9/hook"), 422)  # the default app: refused
    allowed = Api(loopback_app.test_client(), new_org(loopback_app)[1])
    assert hook(allowed, "http://127.0.0.1:9/hook").status_code == 201
    body = assert_problem(hook(allowed, "http://10.0.0.1/hook"), 422)
    assert "private" in body["errors"]["url"][0]


def test_an_unknown_event_type_is_named(api: Api) -> None:
    body = assert_problem(hook(api, "https://93.184.215.14/hook",
                               ["decision.recorded", "decision.made"]), 422)
    assert "decision.made" in str(body["errors"]["events"])
    assert_problem(hook(api, "https://93.184.215.14/hook", []), 422)
    assert api.get("/api/v1/webhooks").get_json() == []


@pytest.mark.parametrize("name,value", [
    ("WEBHOOK_BACKOFF", "5,soon"), ("WEBHOOK_BACKOFF", "0"), ("WEBHOOK_BACKOFF", ""),
    ("WEBHOOK_TIMEOUT", "0"), ("WEBHOOK_TIMEOUT", "ten"), ("WEBHOOK_RETRY_WINDOW", "-1"),
    ("WEBHOOK_POLL", "0"), ("ALLOW_HTTP_WEBHOOKS", "maybe"),
])
def test_a_bad_setting_stops_the_server_naming_it(database_url: str, tmp_path: Path,
                                                  name: str, value: str) -> None:
    with pytest.raises(SystemExit, match=f"WIDGET_SERVER_{name}"):
        make_app(database_url, tmp_path, **{name: value})


def test_the_settings_as_the_tests_give_them(loopback_app: Flask) -> None:
    settings = loopback_app.config["WEBHOOKS"]
    assert settings.allow_http_loopback and settings.timeout == 1.0
    app = make_app(loopback_app.config["DATABASE_URL"], Path(loopback_app.instance_path),
                   WEBHOOK_BACKOFF="1,2,4")
    assert app.config["WEBHOOKS"].backoff == (1.0, 2.0, 4.0)
    assert not app.config["WEBHOOKS"].allow_http_loopback
    app.extensions["widget_db"].dispose()


def test_at_most_twenty_endpoints(loopback_app: Flask) -> None:
    api = Api(loopback_app.test_client(), new_org(loopback_app)[1])
    for n in range(20):
        assert hook(api, f"http://127.0.0.1:9/hook/{n}").status_code == 201
    body = assert_problem(hook(api, "http://127.0.0.1:9/hook/21"), 409)
    assert "20" in body["detail"]
    assert len(api.get("/api/v1/webhooks").get_json()) == 20
