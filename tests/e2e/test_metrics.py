"""GET /metrics (issue 15): scraped from a real server and parsed with prometheus_client's own
parser; the figures move as expected after joins and decisions, and say nothing of anyone."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import fresh_database, lecture_notice
from tests.e2e.harness import Org, Participant, Server, free_port

pytestmark = pytest.mark.e2e


def scrape(url: str) -> dict[str, float]:
    """Every sample as name{labels} → value."""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder: Path = tmp_path_factory.mktemp("metrics")
    with fresh_database(folder) as url:
        running = Server(folder, url, extra_env={"WIDGET_SERVER_METRICS": "1",
                                                 "WIDGET_SERVER_PURGE_INTERVAL": "1"}).start()
        try:
            yield running
        finally:
            running.stop()


def test_decisions_connections_batches_and_purges_move(server: Server) -> None:
    org = Org(server)
    call = org.open_call(lecture_notice())
    before = scrape(f"{server.url}/metrics")
    people = [Participant(server.url, call["widget"]["token"]) for _ in range(3)]
    try:
        for number, person in enumerate(people):
            person.join({"display_name": f"Canary Person {number}"})
            assert person.decide({"recording": "granted"})["ok"]
        refused = people[0].decide({"recording": "maybe"})
        assert refused["ok"] is False
        after = scrape(f"{server.url}/metrics")
        assert after["widget_connections{namespace=/participant}"] == 3
    finally:
        for person in people:
            person.close()

    assert after["widget_decisions_committed_total{}"] - before.get(
        "widget_decisions_committed_total{}", 0) == 3
    assert after["widget_live_commands_total{kind=Join,outcome=applied}"] - before.get(
        "widget_live_commands_total{kind=Join,outcome=applied}", 0) == 3
    assert after["widget_commit_batch_size_count{}"] > before.get(
        "widget_commit_batch_size_count{}", 0)
    assert after["widget_commit_seconds_count{}"] == after["widget_commit_batch_size_count{}"]
    assert after["widget_host_fanout_seconds_count{}"] == after["widget_commit_seconds_count{}"]
    # The retention loop runs every second here.
    deadline = time.monotonic() + 10
    while scrape(f"{server.url}/metrics").get("widget_purge_runs_total{}", 0) < 1:
        assert time.monotonic() < deadline, "no retention run counted"
        time.sleep(0.2)
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    assert "Canary" not in text and call["id"] not in text  # counts only, nobody in them


def test_metrics_are_off_unless_asked_for_and_can_have_their_own_port(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        off = Server(tmp_path, url).start()
        try:
            assert requests.get(f"{off.url}/metrics", timeout=10).status_code == 404
        finally:
            off.stop()
        port = free_port()
        own = Server(tmp_path, url, extra_env={"WIDGET_SERVER_METRICS_PORT": str(port)}).start()
        try:
            assert requests.get(f"{own.url}/metrics", timeout=10).status_code == 404
            samples = scrape(f"http://127.0.0.1:{port}/metrics")
            assert "widget_purge_runs_total{}" in samples
        finally:
            own.stop()
