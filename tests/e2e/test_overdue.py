"""CONTRACT §C on a real server: a call left open longer than WIDGET_SERVER_MAX_CALL_HOURS is
ended by the server itself; a connected participant gets `call_ended` and a host the
`call_ended` update, exactly as when a host ends it, and its final checkpoint is signed."""

import time
from collections.abc import Iterator

import pytest

from tests.conftest import fresh_database, lecture_notice
from tests.e2e.harness import Host, Org, Participant, Server

MAX_HOURS = 0.002  # 7.2 seconds


@pytest.fixture(scope="module")
def short_calls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("overdue")
    with fresh_database(folder) as url:
        server = Server(folder, url, extra_env={
            "WIDGET_SERVER_MAX_CALL_HOURS": str(MAX_HOURS),
            "WIDGET_SERVER_CHECKPOINT_INTERVAL": "1"})
        server.start()
        try:
            yield server
        finally:
            server.stop()


def test_a_call_nobody_ends_is_ended_by_the_server_and_everyone_is_told(short_calls: Server
                                                                        ) -> None:
    org = Org(short_calls)
    call = org.open_call(lecture_notice())
    opened = time.monotonic()
    host = Host(short_calls.url, call["host"]["token"])
    person = Participant(short_calls.url, call["widget"]["token"])
    try:
        person.join({"display_name": "Ada"})
        assert person.decide({"recording": "granted"})["ok"]
        assert time.monotonic() - opened < MAX_HOURS * 3600, "too slow to test before the end"
        host.wait_for(lambda: person.events and person.events[0][0] == "call_ended",
                      timeout=30)
        assert person.events[0][1] == {"call_id": call["id"]}
        # Not before the call had been open MAX_CALL_HOURS.
        assert time.monotonic() - opened >= MAX_HOURS * 3600 - 1
        host.wait_for(lambda: bool(host.updates) and host.updates[-1]["kind"] == "call_ended")
        assert host.updates[-1]["gate"]["recording_allowed"] is False
        refused = person.decide({"recording": "withdrawn"})
        assert refused["ok"] is False and refused["error"]["code"] == "call_ended"
    finally:
        person.close()
        host.close()
    shown = org.get(f"/api/v1/calls/{call['id']}")
    assert shown["status"] == "ended" and shown["ended_at"] is not None
    deadline = time.monotonic() + 15
    items: list = []
    while time.monotonic() < deadline:  # the checkpoint pass runs every second here
        items = org.get(f"/api/v1/calls/{call['id']}/checkpoints")["items"]
        if items and items[-1]["final"]:
            break
        time.sleep(0.3)
    assert items and items[-1]["final"] is True, items
    assert "overdue_calls_ended" in short_calls.log()
    verdict = short_calls.cli("verify-ledger", check=False)
    assert verdict.returncode == 0, verdict.stderr
