"""The same product on each concurrency mode, through a real process."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import lecture_notice
from tests.e2e.harness import Host, Org, Participant, Server, running_server


@pytest.fixture(params=["eventlet", "gevent", "threading"])
def mode_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path, mode=request.param) as server:
        yield server


def test_join_decide_and_host_update_in_each_mode(mode_server: Server) -> None:
    org = Org(mode_server)
    call = org.open_call(lecture_notice())
    host = Host(mode_server.url, call["host"]["token"])
    person = Participant(mode_server.url, call["widget"]["token"])
    person.join({"display_name": "Mode"})
    answer = person.decide({"recording": "granted"})
    assert answer["ok"] and answer["receipt"]["seq"] == 2  # seq 1: the join's notice_served
    host.wait_for(lambda: [u["kind"] for u in host.updates] == ["joined", "decision"])
    assert host.updates[-1]["gate"] == {"recording_allowed": True, "blocking": 0}
    assert '"mode": "%s"' % mode_server.env["WIDGET_SERVER_ASYNC_MODE"] in mode_server.log()
    person.close()
    host.close()
