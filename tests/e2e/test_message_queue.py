"""Two server processes on one PostgreSQL database and the local Redis as message queue: a host
on one process sees what participants do on the other."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import fresh_database, lecture_notice
from tests.e2e.harness import Host, Org, Participant, Processor, Server

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    # On SQLite the two processes share one WAL-mode file; on PostgreSQL one database.
    with fresh_database(tmp_path) as url:
        env = {"WIDGET_SERVER_MESSAGE_QUEUE": REDIS}
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        # The harness gives both the same secret key, so either accepts the other's tokens.
        first = Server(tmp_path / "a", url, extra_env=env)
        second = Server(tmp_path / "b", url, extra_env=env)
        first.start()
        second.start()
        yield first, second
        second.stop()
        first.stop()


def test_a_host_on_one_process_follows_participants_on_another(
        two_servers: tuple[Server, Server]) -> None:
    first, second = two_servers
    org = Org(first)
    call = org.open_call(lecture_notice())
    host = Host(first.url, call["host"]["token"])
    person = Participant(second.url, call["widget"]["token"])  # the other process
    person.join({"display_name": "Across"})
    assert person.decide({"recording": "granted"})["ok"]
    host.wait_for(lambda: [u["kind"] for u in host.updates] == ["joined", "decision"])
    assert host.updates[-1]["gate"]["recording_allowed"] is True
    person.close()
    host.wait_for(lambda: host.updates[-1]["kind"] == "left")
    host.close()


def test_a_processor_on_one_process_gets_plans_of_changes_on_another(
        two_servers: tuple[Server, Server]) -> None:
    """The plan pushes cross processes through the queue; a grant made on one process, whose
    call the other had found without processors, is caught up with; a revocation on one
    process closes a connection on the other."""
    first, second = two_servers
    org = Org(first)
    call = org.open_call(lecture_notice())
    early = Participant(second.url, call["widget"]["token"])
    early.join({"display_name": "Early"})  # the second process finds no processor
    made = org.post(f"/api/v1/calls/{call['id']}/grants",
                    {"purpose": "recording", "name": "Recorder"})  # made on the first
    bot = Processor(first.url, made["token"])
    assert [p["id"] for p in bot.plan["participants"]] == [early.id]
    assert early.decide({"recording": "granted"})["ok"]  # on the second process
    bot.wait_for(lambda: any(p["allowed"] for p in bot.plan["participants"]), timeout=5)
    assert early.decide({"recording": "withdrawn"})["ok"]
    bot.wait_for(lambda: bot.plan["participants"][0]["state"] == "withdrawn", timeout=5)
    assert bot.plan["participants"][0]["allowed"] is False

    other = Processor(second.url, made["token"])  # the same grant, on the second process
    response = org.http.delete(f"{first.url}/api/v1/calls/{call['id']}/grants/{made['id']}",
                               timeout=10)
    assert response.status_code == 200
    bot.wait_for(lambda: not bot.client.connected, timeout=5)
    other.wait_for(lambda: not other.client.connected, timeout=5)
    early.close()
