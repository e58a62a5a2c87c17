"""Calls: open (with widget and host access), list, read, gate, roster, end."""

from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from tests.api.conftest import Api, assert_problem, make_app, new_org
from tests.conftest import SECRET, lecture_notice
from tests.services.support import World
from widget_server.domain import tokens
from widget_server.realtime import socketio


def test_opening_a_call_answers_201_with_widget_and_host_access(api: Api) -> None:
    notice = api.notice()
    response = api.post("/api/v1/calls", {"title": "Lecture 1", "notice_id": notice["id"],
                                          "external_ref": "zoom-123",
                                          "starts_at": "2030-01-02T09:00:00+01:00"})
    assert response.status_code == 201
    call = response.get_json()
    assert call["title"] == "Lecture 1" and call["status"] == "open"
    assert call["external_ref"] == "zoom-123"
    assert call["starts_at"] == "2030-01-02T08:00:00+00:00"  # the same instant, in UTC
    assert api.get(f"/api/v1/calls/{call['id']}").get_json()["starts_at"] == call["starts_at"]
    assert call["notice"] == {"id": notice["id"], "version": 1,
                              "content_hash": notice["content_hash"]}
    widget, host = call["widget"], call["host"]
    assert set(widget) == {"token", "url", "snippet"} and set(host) == {"token", "url"}
    assert tokens.read(SECRET, widget["token"], tokens.WIDGET).call_id == call["id"]
    assert tokens.read(SECRET, host["token"], tokens.HOST).call_id == call["id"]

    base = "http://localhost"
    assert widget["url"] == f"{base}/widget/{call['id']}"
    assert host["url"] == f"{base}/host#token={host['token']}"
    assert widget["snippet"] == (
        f'<script src="{base}/static/widget.js" data-call="{call["id"]}" '
        f'data-widget-token="{widget["token"]}" async></script>')


def test_tokens_never_travel_in_a_query_string(api: Api) -> None:
    call = api.call()
    secrets = (call["widget"]["token"], call["host"]["token"])
    for url in (call["widget"]["url"], call["host"]["url"],
                call["widget"]["snippet"].split('src="')[1].split('"')[0]):
        parts = urlsplit(url)
        assert parts.query == ""
        assert not any(s in parts.path or s in parts.netloc for s in secrets)
    assert urlsplit(call["host"]["url"]).fragment == f"token={call['host']['token']}"


def test_links_use_the_public_url_when_configured(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path, PUBLIC_URL="https://consent.example.org/")
    try:
        client = Api(app.test_client(), new_org(app)[1])
        call = client.call()
        assert call["widget"]["url"] == f"https://consent.example.org/widget/{call['id']}"
        assert call["host"]["url"].startswith("https://consent.example.org/host#token=")
        assert 'src="https://consent.example.org/static/widget.js"' in call["widget"]["snippet"]
    finally:
        app.extensions["widget_db"].dispose()


def test_only_the_creation_answer_carries_tokens(api: Api) -> None:
    call = api.call()
    secrets = (call["widget"]["token"], call["host"]["token"])
    for path in ("/api/v1/calls", f"/api/v1/calls/{call['id']}",
                 f"/api/v1/calls/{call['id']}/participants"):
        text = api.get(path).get_data(as_text=True)
        assert not any(s in text for s in secrets), path


def test_reading_a_call_adds_summary_and_gate(api: Api) -> None:
    call = api.call()
    read = api.get(f"/api/v1/calls/{call['id']}").get_json()
    assert read["id"] == call["id"] and read["status"] == "open"
    assert read["notice"] == call["notice"]
    assert read["summary"] == {"present": 0, "purposes": {}}
    assert read["gate"] == {"recording_allowed": False, "blocking": 0}
    assert "widget" not in read and "host" not in read


def test_listing_calls_newest_first_and_by_status(app: Flask, api: Api) -> None:
    notice = api.notice()
    first, second = api.call(notice["id"]), api.call(notice["id"], title="Lecture 2")
    api.post(f"/api/v1/calls/{first['id']}/end")
    listed = api.get("/api/v1/calls").get_json()
    assert [c["id"] for c in listed] == [second["id"], first["id"]]
    assert all("widget" not in c and "summary" not in c for c in listed)
    assert [c["id"] for c in api.get("/api/v1/calls?status=open").get_json()] == [second["id"]]
    assert [c["id"] for c in api.get("/api/v1/calls?status=ended").get_json()] == [first["id"]]
    assert_problem(api.get("/api/v1/calls?status=paused"), 422)


def test_a_call_pins_the_notice_version_it_was_opened_with(api: Api) -> None:
    notice = api.notice()
    call = api.call(notice["id"])
    assert api.post(f"/api/v1/notices/{notice['id']}/versions",
                    lecture_notice() | {"name": "v2"}).status_code == 201
    later = api.call(notice["id"])
    assert api.get(f"/api/v1/calls/{call['id']}").get_json()["notice"]["version"] == 1
    assert later["notice"]["version"] == 2


def test_gate_and_roster_follow_participants(app: Flask, api: Api) -> None:
    call = api.call()
    world = World(app.extensions["widget_db"])
    joined = world.join(call["id"], {"display_name": "Ann"}, language="de")
    person = joined["participant"]["id"]

    gate = api.get(f"/api/v1/calls/{call['id']}/gate").get_json()
    assert gate == {"recording_allowed": False, "blocking": 1,
                    "blocking_participants": [person], "seq": 1}
    roster = api.get(f"/api/v1/calls/{call['id']}/participants").get_json()
    assert roster["call"]["purposes"] == [  # the columns of the host's roster
        {"key": "recording", "title": "Record this session", "lawful_basis": "consent",
         "gates_recording": True},
        {"key": "notes_email", "title": "Email me the notes", "lawful_basis": "consent",
         "gates_recording": False},
        {"key": "attendance", "title": "Attendance list",
         "lawful_basis": "legitimate_interests", "gates_recording": False},
        {"key": "service", "title": "Running the call", "lawful_basis": "contract",
         "gates_recording": False}]
    assert {k: v for k, v in roster["call"].items() if k != "purposes"} == {
        "id": call["id"], "title": "Lecture 1", "status": "open",
        "notice": {"id": call["notice"]["id"], "version": 1}}
    assert roster["seq"] == 1
    assert roster["gate"] == {"recording_allowed": False, "blocking": 1}
    assert roster["summary"]["present"] == 1
    (entry,) = roster["participants"]
    assert set(entry) == {"id", "label", "channel", "present", "state", "updated_at",
                          "blocking", "blocking_since"}
    assert (entry["id"], entry["label"], entry["present"]) == (person, "Ann", True)
    assert entry["state"]["recording"] == "pending"
    # present and not granting recording: holding it up since the join
    assert entry["blocking"] is True and entry["blocking_since"] is not None
    assert roster == world.roster(call["id"])  # as in the host roster event

    world.decide(call["id"], person, {"recording": "granted"})
    gate = api.get(f"/api/v1/calls/{call['id']}/gate").get_json()
    assert gate == {"recording_allowed": True, "blocking": 0,
                    "blocking_participants": [], "seq": 2}
    read = api.get(f"/api/v1/calls/{call['id']}").get_json()
    assert read["gate"] == {"recording_allowed": True, "blocking": 0}
    roster = api.get(f"/api/v1/calls/{call['id']}/participants").get_json()
    (entry,) = roster["participants"]
    assert (entry["blocking"], entry["blocking_since"]) == (False, None)
    assert roster == world.roster(call["id"])
    assert read["summary"]["purposes"]["recording"] == {"granted": 1}


def test_ending_a_call_tells_participants_and_hosts(app: Flask, api: Api) -> None:
    call = api.call()
    person = socketio.test_client(app, namespace="/participant",
                                  auth={"token": call["widget"]["token"]})
    host = socketio.test_client(app, namespace="/host", auth={"token": call["host"]["token"]})
    try:
        assert person.is_connected("/participant") and host.is_connected("/host")
        host.get_received("/host")  # the roster on connect

        response = api.post(f"/api/v1/calls/{call['id']}/end")
        assert response.status_code == 200
        ended = response.get_json()
        assert ended["status"] == "ended" and ended["ended_at"]
        assert ended["gate"] == {"recording_allowed": False, "blocking": 0}

        told = person.get_received("/participant")
        assert [(m["name"], m["args"]) for m in told] == [
            ("call_ended", [{"call_id": call["id"]}])]
        updates = [m["args"][0] for m in host.get_received("/host") if m["name"] == "update"]
        assert [u["kind"] for u in updates] == ["call_ended"]

        again = api.post(f"/api/v1/calls/{call['id']}/end")  # nothing changes, nobody is told
        assert again.status_code == 200 and again.get_json()["ended_at"] == ended["ended_at"]
        assert person.get_received("/participant") == []
        assert host.get_received("/host") == []
    finally:
        for client, namespace in ((person, "/participant"), (host, "/host")):
            if client.is_connected(namespace):
                client.disconnect(namespace)


def test_a_notice_of_another_organisation_cannot_open_a_call(api: Api, other: Api) -> None:
    notice = other.notice()
    body = assert_problem(api.post("/api/v1/calls", {"title": "x", "notice_id": notice["id"]}),
                          422)
    assert "notice_id" in body["errors"]
    assert api.get("/api/v1/calls").get_json() == []


def test_another_organisations_call_is_not_found(app: Flask, api: Api, other: Api) -> None:
    call = api.call()
    for path in ("", "/gate", "/participants", "/decisions", "/decisions?format=csv"):
        assert_problem(other.get(f"/api/v1/calls/{call['id']}{path}"), 404)
    assert_problem(other.post(f"/api/v1/calls/{call['id']}/end"), 404)
    assert other.get("/api/v1/calls").get_json() == []
    assert api.get(f"/api/v1/calls/{call['id']}").get_json()["status"] == "open"


def test_an_unknown_call_is_not_found(api: Api) -> None:
    for path in ("", "/gate", "/participants", "/decisions"):
        assert_problem(api.get(f"/api/v1/calls/call_0123{path}"), 404)
        assert_problem(api.get(f"/api/v1/calls/call%00x{path}"), 404)
    assert_problem(api.post("/api/v1/calls/call_0123/end"), 404)
