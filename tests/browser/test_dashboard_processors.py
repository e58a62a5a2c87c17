"""The host dashboard's processors panel (issue 13): each processor with its purpose, the plan
it last applied and how long after the change; live as processors confirm plans and as grants
are revoked; accessible; pictured for the README (docs/dashboard-processors.png)."""

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import MeetingSite, axe_violations
from tests.browser.test_screenshots import shoot
from tests.e2e.harness import Org, Participant, Processor, Server

pytestmark = pytest.mark.browser


def grant(org: Org, call: dict[str, Any], purpose: str, name: str) -> dict[str, Any]:
    return org.post(f"/api/v1/calls/{call['id']}/grants", {"purpose": purpose, "name": name})


def test_the_dashboard_shows_each_processor_and_the_plan_it_applied(
        page: Page, call: dict[str, Any], server: Server, org: Org) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(call["host"]["url"])
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.locator("#processors")).to_be_hidden()  # no processor, no panel

    recorder_grant = grant(org, call, "recording", "Recording bot")
    grant(org, call, "notes_email", "Notes mailer")
    transcriber_grant = grant(org, call, "attendance", "Attendance list")
    panel = page.locator("#processors")
    expect(panel).to_be_visible()
    expect(page.locator("#processors-count")).to_have_text("3 active")
    recorder_row = panel.locator("tr", has_text="Recording bot")
    expect(recorder_row).to_contain_text("Record this session")
    expect(recorder_row).to_contain_text("None confirmed yet")

    people = [Participant(server.url, call["widget"]["token"]) for _ in range(2)]
    recorder = Processor(server.url, recorder_grant["token"])
    attendance = Processor(server.url, transcriber_grant["token"])
    try:
        people[0].join({"display_name": "Grace Hopper"})
        people[1].join({"display_name": "Alan Turing"})
        assert people[0].decide({"recording": "granted"})["ok"]
        assert people[1].decide({"recording": "granted"})["ok"]
        recorder.wait_for(lambda: recorder.plan["allowed"])
        seq = recorder.plan["seq"]
        assert recorder.applied(seq)["ok"]
        expect(recorder_row).to_contain_text(f"Plan {seq} · current")
        expect(recorder_row.locator(".cell-delay")).to_have_text(
            re.compile(r"^\d[\d,.]* (ms|s)$"))
        # The attendance list confirms an older plan: the dashboard says it is behind.
        assert attendance.applied(seq - 1)["ok"]
        expect(panel.locator("tr", has_text="Attendance list")).to_contain_text(
            f"Plan {seq - 1} · 1 change behind")
        assert axe_violations(page.main_frame, server.url) == []
        shoot(page, "dashboard-processors.png")

        org.http.delete(f"{server.url}/api/v1/calls/{call['id']}/grants/"
                        f"{transcriber_grant['id']}", timeout=10)
        expect(panel.locator("tr", has_text="Attendance list")).to_contain_text(
            "Access revoked")
        expect(page.locator("#processors-count")).to_have_text("2 active")
        attendance.wait_for(lambda: not attendance.client.connected)
    finally:
        for client in (*people, recorder, attendance):
            client.close()


def test_the_panel_speaks_the_hosts_language(chromium: Browser, call: dict[str, Any],
                                            org: Org) -> None:
    grant(org, call, "recording", "Aufnahme-Bot")
    german = chromium.new_context(locale="de-DE")
    try:
        page = german.new_page()
        page.goto(call["host"]["url"])
        expect(page.locator("#processors-title")).to_have_text("Verarbeitende Systeme")
        row = page.locator("#processors-body tr", has_text="Aufnahme-Bot")
        # Purposes are titled in the notice's default language, as the roster's columns are.
        expect(row).to_contain_text("Record this session")
        expect(row).to_contain_text("Noch keiner bestätigt")
    finally:
        german.close()


def test_the_snippets_participant_ref_reaches_the_plan_through_the_fragment(
        page: Page, call: dict[str, Any], server: Server, org: Org,
        meeting_site: MeetingSite) -> None:
    """data-participant-ref travels loader → iframe fragment (never the query) → join."""
    made = grant(org, call, "attendance", "Attendance list")
    snippet = call["widget"]["snippet"].replace(
        "async>", 'data-participant-ref="meet-user-42" async>')
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(meeting_site.origin + meeting_site.publish(snippet))
    frame_src = page.locator("iframe.consent-widget-frame").get_attribute("src") or ""
    assert "#token=" in frame_src and "&ref=meet-user-42" in frame_src.split("#", 1)[1]
    assert not any("meet-user-42" in url for url in requested)  # fragments are not sent
    frame = page.frame_locator("iframe.consent-widget-frame")
    frame.get_by_label("Your name").fill("Ada Ref")
    frame.get_by_label("Your name").press("Enter")
    bot = Processor(server.url, made["token"])
    try:
        bot.wait_for(lambda: any(p["ref"] == "meet-user-42" for p in bot.plan["participants"]))
        [ada] = bot.plan["participants"]
        assert ada["fields"] == {"display_name": "Ada Ref"} and ada["allowed"] is True
    finally:
        bot.close()
