"""The dashboard's consent-over-time chart (CONTRACT §D): drawn from the call's history at
load and from live updates, described in words and as a table, accessible, in German too."""

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import axe_violations
from tests.browser.test_screenshots import shoot
from tests.e2e.harness import Participant, Server

pytestmark = pytest.mark.browser


def line(page: Page, purpose: str) -> Any:
    return page.locator(f'#chart-svg polyline[data-purpose="{purpose}"]')


def key(page: Page, purpose: str) -> Any:
    return page.locator(f'#chart-legend li[data-purpose="{purpose}"] .chart-key-value')


def test_the_chart_follows_decisions_and_passes_axe(
        page: Page, context: BrowserContext, call: dict[str, Any], server: Server) -> None:
    people = [Participant(server.url, call["widget"]["token"]) for _ in range(4)]
    try:
        # Before the dashboard opens: its chart starts from the call's history.
        for n, person in enumerate(people):
            person.join({"display_name": f"Person {n}"})
        assert people[0].decide({"recording": "granted"})["ok"]
        assert people[1].decide({"recording": "granted", "notes_email": "granted"},
                                fields={"email": "p1@example.org"})["ok"]
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.goto(call["host"]["url"])
        expect(page.locator("#connection")).to_have_text("Live")
        chart = page.locator("#consent-chart")
        expect(chart).to_be_visible()
        expect(page.locator("#chart-title")).to_have_text("Consent over time")
        expect(key(page, "recording")).to_have_text("50% (2 of 4)")
        expect(key(page, "notes_email")).to_have_text("25% (1 of 4)")
        # Only consent purposes are drawn.
        assert page.locator("#chart-svg polyline").count() == 2
        drawn = page.evaluate("() => window.consentDashboard.seq()")
        assert page.locator("#chart-svg polyline").first.get_attribute("points")
        before = line(page, "recording").get_attribute("points")
        assert before and len(before.split()) >= 5  # joins and decisions from the history

        # Live: decisions by real participants move the lines.
        assert people[2].decide({"recording": "granted"})["ok"]
        assert people[3].decide({"recording": "granted"})["ok"]
        expect(key(page, "recording")).to_have_text("100% (4 of 4)")
        assert people[0].decide({"recording": "withdrawn"})["ok"]
        expect(key(page, "recording")).to_have_text("75% (3 of 4)")
        assert line(page, "recording").get_attribute("points") != before
        assert page.evaluate("() => window.consentDashboard.seq()") > drawn

        # In words and as a table.
        desc = page.locator("#chart-desc")
        expect(desc).to_contain_text("Record this session: 75% (3 of 4)")
        expect(desc).to_contain_text("Email me the notes: 25% (1 of 4)")
        assert page.locator("#chart-svg").get_attribute("aria-describedby") == "chart-desc"
        page.get_by_text("Show the figures as a table").click()
        table = page.locator("#chart-table")
        expect(table.locator("thead th")).to_have_text(
            ["Time", "Record this session", "Email me the notes"])
        expect(table.locator("tbody tr").last).to_contain_text("75% (3 of 4)")

        assert axe_violations(page.main_frame, server.url) == []
        shoot(chart, "dashboard-chart.png")
        page.set_viewport_size({"width": 390, "height": 844})
        assert axe_violations(page.main_frame, server.url) == []
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        for person in people:
            person.close()


def test_the_chart_speaks_german(context: BrowserContext, call: dict[str, Any],
                                 server: Server) -> None:
    german = context.browser.new_context(locale="de-DE", viewport={"width": 1100, "height": 900})
    person = Participant(server.url, call["widget"]["token"])
    try:
        person.join({"display_name": "Emmy Noether"})
        assert person.decide({"recording": "granted"})["ok"]
        tab = german.new_page()
        tab.goto(call["host"]["url"])
        expect(tab.locator("#chart-title")).to_have_text("Einwilligung im Verlauf")
        expect(key(tab, "recording")).to_have_text("100 % (1 von 1)")
        expect(tab.get_by_text("Zahlen als Tabelle zeigen")).to_be_visible()
    finally:
        person.close()
        german.close()
