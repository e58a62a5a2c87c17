"""Every notice shape works in the browser (CONTRACT §A): a seeded set of generated notices.

For each notice, on one server and one browser: the widget shows the controller, every purpose
and the rights before or with the first field it asks for; it fits in 600 px before a decision
(alternately at 1280×800 and 390×844); a keyboard-only participant joins and makes every choice;
the host dashboard shows the result within a second; axe finds nothing; the console stays clean.
The README's quick-start notice goes through the same steps.
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from tests.browser.conftest import MeetingSite, axe_violations
from tests.browser.notices import VALUES, Generated, coverage, generate
from tests.e2e.harness import Org, Server

pytestmark = pytest.mark.browser

NOTICES = generate(32)
VIEWPORTS = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})
STATE_LABELS = {"granted": "Accepted", "denied": "Declined", "objected": "Objected"}

# Runs in every frame before its scripts: remembers what the widget showed when the first input
# field appeared, so "before or with any field" is checked at that moment, not afterwards.
FIRST_FIELD_WATCH = """(() => {
  if (!location.pathname.includes("/widget")) return;
  window.firstField = null;
  const check = () => {
    const input = document.querySelector("input");
    if (window.firstField || !input) return;
    const card = input.closest(".notice");
    window.firstField = {
      field: input.name,
      inNotice: Boolean(card),
      controller: card ? (card.querySelector(".controller") || {}).textContent || "" : "",
      purposes: card ? Array.from(card.querySelectorAll(".purpose-title"), e => e.textContent) : [],
      rights: Boolean(card && card.querySelector("#rights-title")),
    };
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true});
})();"""


# Nothing is being sent, and the choice shows as made, or a grant form asks for data.
SETTLED = """(button) => !document.querySelector(".saving") && Boolean(
    document.querySelector("form.grant") || document.querySelector("#summary-title") ||
    (document.querySelector(button) || {}).ariaPressed === "true")"""


def test_the_generated_set_covers_every_shape() -> None:
    covered = coverage(NOTICES)
    assert len(NOTICES) >= 30
    assert len(covered["mixes"]) == 7  # every non-empty mix of consent, LI, informational
    assert covered["languages"] == {1, 2, 3, 4, 5}
    assert covered["join_fields"] == {True, False}
    assert covered["grant_fields"] == {True, False}
    assert covered["long"] == {True, False}


def widget_frame(page: Page, server: Server) -> Frame:
    frame = page.frame_locator("iframe.consent-widget-frame").locator("#notice-title")
    expect(frame).to_be_visible(timeout=10000)
    return next(f for f in page.frames if f.url.startswith(server.url))


def tab_to(page: Page, frame: Frame, selector: str, limit: int = 80) -> None:
    """Press Tab, as a keyboard user does, until `selector` in the widget has the focus."""
    target = frame.locator(selector)
    for _ in range(limit):
        if target.count() and target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def exercise(browser: Browser, org: Org, server: Server, site: MeetingSite,
             notice: Generated, viewport: dict[str, int]) -> None:
    call = org.open_call(notice.content)
    context = browser.new_context(locale="en-GB", viewport=viewport)
    problems: list[str] = []
    try:
        context.add_init_script(FIRST_FIELD_WATCH)
        dashboard = context.new_page()
        meeting = context.new_page()
        for tab in (dashboard, meeting):
            tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: problems.append(str(e)))
        dashboard.goto(call["host"]["url"])
        expect(dashboard.locator("#gate-title")).not_to_have_text("Waiting for the roster…")
        meeting.bring_to_front()
        meeting.goto(site.origin + site.publish(call["widget"]["snippet"]))
        frame = widget_frame(meeting, server)
        titles = [notice.title(p) for p in notice.purposes()]
        controller = notice.content["controller"]["name"]

        # The notice first: controller, every purpose, the rights, with or before any field.
        expect(frame.locator(".purpose-title")).to_have_text(titles)
        expect(frame.locator(".controller")).to_contain_text(controller)
        expect(frame.locator("#rights-title")).to_be_visible()
        if notice.join_fields:
            expect(frame.locator("form.join input")).to_have_count(len(notice.join_fields))
        first = frame.evaluate("() => window.firstField")
        if first is not None:
            assert first["inNotice"] and controller in first["controller"], first
            assert first["purposes"] == titles and first["rights"], first
        # Compact before any decision: the frame fits in 600 px, nothing runs off sideways.
        box = meeting.locator("iframe.consent-widget-frame").bounding_box()
        assert box is not None and box["height"] <= 600, box
        assert frame.evaluate("() => document.documentElement.scrollWidth <= innerWidth + 1")
        assert axe_violations(frame) == []

        # Keyboard only: join, then object to each LI purpose, then accept or decline each
        # consent purpose (giving the data a grant asks for, when it asks).
        for field in notice.join_fields:
            tab_to(meeting, frame, f"#join-{field}")
            meeting.keyboard.type(VALUES[field])
        if notice.join_fields:
            meeting.keyboard.press("Enter")
        decidable = [p for p in notice.purposes()
                     if p["lawful_basis"] in ("consent", "legitimate_interests")]
        if decidable:
            expect(frame.locator(".choice").first).to_be_visible()
        expected: dict[str, str] = {}
        for p in decidable:
            if p["lawful_basis"] != "legitimate_interests":
                continue
            tab_to(meeting, frame, f'[data-key="object-{p["key"]}"]')
            meeting.keyboard.press("Space")
            expected[p["key"]] = "objected"
            expect(frame.locator(f'[data-key="object-{p["key"]}"]')).to_have_attribute(
                "aria-pressed", "true")
        consent = [p for p in decidable if p["lawful_basis"] == "consent"]
        for number, p in enumerate(consent):
            accept = number % 2 == 0
            button = f'[data-key="{"accept" if accept else "decline"}-{p["key"]}"]'
            tab_to(meeting, frame, button)
            meeting.keyboard.press("Enter")
            expected[p["key"]] = "granted" if accept else "denied"
            for _ in range(3):  # a grant asks for its data; the server may name more it needs
                frame.wait_for_function(SETTLED, arg=button)
                asked = frame.locator("form.grant input")
                if not asked.count():
                    break
                for field in asked.evaluate_all("els => els.map(e => e.name)"):
                    assert field in p["data"], (field, p)  # only what this purpose uses
                    if frame.locator(f"#grant-{field}").input_value():
                        continue  # kept from the first ask (the server named one more)
                    tab_to(meeting, frame, f"#grant-{field}")  # the form focused the first one
                    meeting.keyboard.type(VALUES[field])
                meeting.keyboard.press("Enter")
        if consent:
            expect(frame.locator("#summary-title")).to_be_visible()

        # The dashboard shows it within a second.
        row = dashboard.locator("#roster-body tr")
        expect(row).to_have_count(1, timeout=1000)
        expect(row.locator(".cell-presence")).to_have_text("Present", timeout=1000)
        columns = [p["key"] for p in decidable]
        if columns:
            expect(row.locator(".cell-state .badge")).to_have_text(
                [STATE_LABELS[expected[k]] for k in columns], timeout=1000)
        assert axe_violations(frame) == []
        assert axe_violations(dashboard.main_frame) == []
    finally:
        context.close()
    assert problems == [], f"console errors: {problems}"


@pytest.fixture(scope="module")
def site() -> Any:
    site = MeetingSite()
    yield site
    site.stop()


@pytest.fixture(scope="module")
def generated_org(server: Server, site: MeetingSite) -> Org:
    return Org(server, origins=(site.origin,))


@pytest.mark.parametrize("notice", NOTICES, ids=[f"notice{n.index}" for n in NOTICES])
def test_a_generated_notice_works_in_the_browser(
        chromium: Browser, generated_org: Org, server: Server, site: MeetingSite,
        notice: Generated) -> None:
    exercise(chromium, generated_org, server, site, notice, VIEWPORTS[notice.index % 2])


def readme_notice() -> dict[str, Any]:
    """The notice of the README's quick start, taken from the README itself."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    match = re.search(r"/api/v1/notices .*?-d '(\{.*?\})'", readme, flags=re.S)
    assert match, "the README's quick start publishes no notice"
    content: dict[str, Any] = json.loads(match.group(1))
    return content


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=["laptop", "phone"])
def test_the_readme_quick_start_notice_works_in_the_browser(
        chromium: Browser, generated_org: Org, server: Server, site: MeetingSite,
        viewport: dict[str, int]) -> None:
    content = readme_notice()
    at_join = sorted({f for p in content["purposes"] if p["lawful_basis"] != "consent"
                      for f in p.get("data", [])})
    grants = {p["key"]: [f for f in p.get("data", []) if f not in at_join]
              for p in content["purposes"] if p["lawful_basis"] == "consent"}
    exercise(chromium, generated_org, server, site, Generated(-1, content, at_join, grants),
             viewport)
