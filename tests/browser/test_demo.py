"""`widget-server demo`: one command, and a newcomer sees the widget and the dashboard agree."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from playwright.sync_api import BrowserContext, expect

from tests.e2e.harness import free_port

pytestmark = pytest.mark.browser


@contextmanager
def running_demo(command: list[str], cwd: Path, env: dict[str, str] | None = None
                 ) -> Iterator[dict[str, str]]:
    """`widget-server demo` as a newcomer runs it (`command` names the program), in `cwd`; yields
    the URLs and the key it prints."""
    port = free_port()
    while True:  # the meeting page takes the next port: both must be free
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port + 1))
            break
        except OSError:
            port = free_port()
    env = env or {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_SERVER_")}
    log = cwd / "demo.log"
    with open(log, "w") as out:
        process = subprocess.Popen([*command, "demo", "--port", str(port)], cwd=cwd, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "Open both pages" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        text = log.read_text()
        found = {"meeting": re.search(r"Meeting page.*?(http\S+)", text),
                 "host": re.search(r"Host dashboard:\s+(http\S+)", text),
                 "key": re.search(r"API key of the demo organisation: (\S+)", text)}
        assert all(found.values()), text
        yield {name: match.group(1) for name, match in found.items() if match} | {
            "log": str(log), "server": f"http://127.0.0.1:{port}"}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[dict[str, str]]:
    with running_demo([sys.executable, "-m", "widget_server.entry"], tmp_path) as running:
        yield running


def check_demo(context: BrowserContext, demo: dict[str, str]) -> None:
    """A participant accepts recording on the meeting page; the dashboard and the page agree."""
    assert "Eventlet is deprecated" not in Path(demo["log"]).read_text()
    dashboard = context.new_page()
    dashboard.goto(demo["host"])
    expect(dashboard.get_by_text("Recording", exact=False).first).to_be_visible()
    meeting = context.new_page()
    meeting.goto(demo["meeting"])
    frame = meeting.frame_locator("iframe.consent-widget-frame")
    expect(frame.locator(".controller")).to_contain_text("Example University")
    frame.get_by_role("group", name="Record this session").get_by_role(
        "button", name="Accept").click()
    expect(dashboard.get_by_text("Recording allowed")).to_be_visible(timeout=5000)
    expect(meeting.locator("#state")).to_contain_text('"recording_allowed": true')
    assert '"resize"' not in meeting.locator("#state").inner_text()
    # The key it printed works against the API.
    calls = requests.get(f"{demo['server']}/api/v1/calls", timeout=5,
                         headers={"Authorization": f"Bearer {demo['key']}"})
    assert calls.status_code == 200 and calls.json()[0]["status"] == "open"


def test_the_demo_shows_a_choice_on_the_meeting_page_reaching_the_dashboard(
        context: BrowserContext, demo: dict[str, str]) -> None:
    check_demo(context, demo)
