"""The pictures in the README, taken from the real product in the browser (docs/*.png).

Each picture is taken at a moment the test first checks for, so a broken page fails here
rather than ending up in the README.
"""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import MeetingSite
from tests.e2e.harness import Participant, Server

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs"


def shoot(target: Any, name: str) -> None:
    DOCS.mkdir(exist_ok=True)
    path = DOCS / name
    target.screenshot(path=str(path))
    assert path.stat().st_size > 10_000  # a real picture, not an empty frame


def test_screenshots_of_the_widget_and_the_dashboard(
        page: Page, context: BrowserContext, call: dict[str, Any], server: Server,
        meeting_site: MeetingSite, meeting_url: str) -> None:
    # The notice-first screen (the lecture notice needs the name at join), at both widths.
    for name, viewport in (("widget-before-phone.png", {"width": 390, "height": 844}),
                           ("widget-before.png", {"width": 1280, "height": 800})):
        page.set_viewport_size(viewport)
        page.goto(meeting_url)
        frame = page.frame_locator("iframe.consent-widget-frame")
        expect(frame.get_by_label("Your name")).to_be_visible()
        expect(frame.locator(".controller")).to_contain_text("Example University")
        expect(frame.locator("#rights-title")).to_be_visible()
        shoot(page.locator("iframe.consent-widget-frame"), name)
    page.set_viewport_size({"width": 1100, "height": 1400})
    frame.get_by_label("Your name").fill("Ada Lovelace")
    frame.get_by_role("button", name="Join").click()
    expect(frame.get_by_role("group", name="Record this session")).to_be_visible()

    widget = page.locator("iframe.consent-widget-frame")
    frame.get_by_role("group", name="Record this session").get_by_role(
        "button", name="Accept").click()
    frame.get_by_role("group", name="Email me the notes").get_by_role(
        "button", name="Decline").click()
    expect(frame.get_by_role("heading", name="Your choices")).to_be_visible()
    shoot(widget, "widget-after.png")

    others = [Participant(server.url, call["widget"]["token"]) for _ in range(3)]
    for n, other in enumerate(others):
        other.join({"display_name": ["Grace Hopper", "Alan Turing", "Katherine Johnson"][n]})
    others[0].decide({"recording": "granted"})
    others[1].decide({"recording": "denied"})
    dashboard = context.new_page()
    dashboard.set_viewport_size({"width": 1280, "height": 800})
    dashboard.goto(call["host"]["url"])
    expect(dashboard.get_by_text("Recording blocked")).to_be_visible()
    expect(dashboard.get_by_text("Katherine Johnson")).to_be_visible()
    shoot(dashboard, "dashboard.png")
    for other in others:
        other.close()

    german = context.browser.new_context(locale="de-DE", viewport={"width": 1100, "height": 1400})
    try:
        tab = german.new_page()
        tab.goto(meeting_url)
        frame = tab.frame_locator("iframe.consent-widget-frame")
        frame.get_by_label("Ihr Name").fill("Emmy Noether")
        frame.get_by_role("button", name="Teilnehmen").click()
        expect(frame.get_by_role("heading", name="Diese Sitzung aufzeichnen")).to_be_visible()
        shoot(tab.locator("iframe.consent-widget-frame"), "widget-de.png")
    finally:
        german.close()
