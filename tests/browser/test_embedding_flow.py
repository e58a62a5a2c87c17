"""The widget issue's promises end to end: a keyboard-only participant on a meeting page of
another site, a dashboard in another page following within a second, the meeting page told by
postMessage, no request to any host but the server's own, and axe clean in every language."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import MeetingSite, axe_violations
from tests.e2e.harness import Org, Server
from widget_server.demo import DEMO_NOTICE

pytestmark = pytest.mark.browser
ONE_SECOND = 1000  # ms: how long the dashboard may take to follow
CATALOGUES = Path(__file__).resolve().parents[2] / "static" / "i18n"


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def tab_to(page: Page, target: Any, limit: int = 30) -> None:
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def test_keyboard_consent_reaches_the_dashboard_within_a_second_and_back(
        context: BrowserContext, call: dict[str, Any], server: Server,
        meeting_site: MeetingSite, meeting_url: str) -> None:
    requests: list[tuple[str, str]] = []  # (url, url of the frame that asked)
    context.on("request", lambda r: requests.append((r.url, r.frame.url if r.frame else "")))
    sockets: list[str] = []
    dashboard = context.new_page()
    dashboard.goto(call["host"]["url"])
    gate = dashboard.locator("#gate-title")
    expect(gate).to_have_text("Recording blocked: nobody is in the call")

    page = context.new_page()
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(meeting_url)
    page.evaluate("""() => { window.raw = [];
        addEventListener('message', e => {
          if (e.data && e.data.source === 'consent-widget')
            window.raw.push({origin: e.origin, data: e.data}); }); }""")
    frame = page.frame_locator("iframe.consent-widget-frame")
    name = frame.get_by_label("Your name")
    expect(name).to_be_visible()
    tab_to(page, name)
    page.keyboard.type("Kim Keyboard")
    page.keyboard.press("Enter")
    expect(gate).to_have_text("Recording blocked: 1 participant has not consented",
                              timeout=ONE_SECOND)

    accept = frame.get_by_role("group", name="Record this session").get_by_role(
        "button", name="Accept")
    tab_to(page, accept)
    page.keyboard.press("Enter")
    expect(gate).to_have_text("Recording allowed", timeout=ONE_SECOND)
    expect(dashboard.locator("#roster-body tr", has_text="Kim Keyboard")).to_contain_text(
        "Accepted", timeout=ONE_SECOND)
    page.wait_for_function("() => window.raw.some(m => m.data.type === 'state' "
                           "&& m.data.recording_allowed === true)")
    told = page.evaluate("() => window.raw.filter(m => m.data.type === 'state').pop()")
    assert told["origin"] == server.url
    assert told["data"]["state"]["recording"] == "granted"

    decline = frame.get_by_role("group", name="Record this session").get_by_role(
        "button", name="Decline")
    tab_to(page, decline)
    page.keyboard.press("Enter")  # after accepting, declining withdraws: one action
    expect(gate).to_have_text("Recording blocked: 1 participant has not consented",
                              timeout=ONE_SECOND)
    page.wait_for_function("() => window.raw.filter(m => m.data.type === 'state').pop()"
                           ".data.recording_allowed === false")

    allowed = {server.url, meeting_site.origin}
    assert {origin(url) for url, _ in requests} <= allowed, requests
    from_widget = [url for url, asked_by in requests if asked_by.startswith(server.url)]
    assert from_widget and all(origin(url) == server.url for url in from_widget)
    assert sockets and all(urlsplit(ws).netloc == urlsplit(server.url).netloc for ws in sockets)


@pytest.fixture(scope="module")
def five_language_call(org: Org, meeting_site: MeetingSite) -> str:
    """A call whose notice speaks all five languages (the demo's), on a meeting page."""
    notice = org.post("/api/v1/notices", DEMO_NOTICE)
    call = org.post("/api/v1/calls", {"title": "Languages", "notice_id": notice["id"]})
    return meeting_site.origin + meeting_site.publish(call["widget"]["snippet"])


@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "nl"])
def test_axe_finds_nothing_before_and_after_deciding_in_every_language(
        chromium: Browser, server: Server, five_language_call: str, language: str) -> None:
    words = json.loads((CATALOGUES / f"{language}.json").read_text())
    titles = {p["key"]: p["text"][language]["title"] for p in DEMO_NOTICE["purposes"]}
    context = chromium.new_context(locale=language, viewport={"width": 1100, "height": 1800})
    try:
        page = context.new_page()
        page.goto(five_language_call)
        frame = page.frame_locator("iframe.consent-widget-frame")
        expect(frame.get_by_role("heading", name=titles["recording"])).to_be_visible()
        inner = next(f for f in page.frames if f.url.startswith(server.url))
        assert inner.evaluate("document.documentElement.lang") == language
        assert axe_violations(inner, server.url) == []
        frame.get_by_role("group", name=titles["recording"]).get_by_role(
            "button", name=words["action.accept"]).click()
        frame.get_by_role("group", name=titles["notes_email"]).get_by_role(
            "button", name=words["action.decline"]).click()
        expect(frame.get_by_role("heading", name=words["summary.title"])).to_be_visible()
        assert axe_violations(inner, server.url) == []
    finally:
        context.close()
