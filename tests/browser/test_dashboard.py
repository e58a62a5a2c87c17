"""The host dashboard: the live roster, the recording gate, resync after a gap, and scale."""

import re
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect

from tests.browser.conftest import axe_violations, record_socket
from tests.e2e.harness import Org, Participant, Server
from tests.services.support import World
from widget_server.services.database import Database

pytestmark = pytest.mark.browser


def open_dashboard(page: Page, call: dict[str, Any]) -> Page:
    page.goto(call["host"]["url"])
    expect(page.locator("#connection")).to_have_text("Live")
    return page


def gate(page: Page) -> Any:
    return page.locator("#gate-title")


def dashboard_seq(page: Page) -> int:
    seq: int = page.evaluate("() => window.consentDashboard.seq()")
    return seq


def server_seq(org: Org, call: dict[str, Any]) -> int:
    return int(org.get(f"/api/v1/calls/{call['id']}/gate")["seq"])


def test_the_dashboard_follows_the_call_live(
        page: Page, call: dict[str, Any], server: Server, org: Org) -> None:
    open_dashboard(page, call)
    expect(gate(page)).to_have_text("Recording blocked: nobody is in the call")
    expect(page.locator("#roster-count")).to_have_text("0 participants")

    ada = Participant(server.url, call["widget"]["token"])
    try:
        ada.join({"display_name": "Ada Lovelace"})
        expect(gate(page)).to_have_text("Recording blocked: 1 participant has not consented")
        row = page.locator("#roster-body tr", has_text="Ada Lovelace")
        expect(row).to_contain_text("Present")
        expect(page.locator("#present-count")).to_have_text("1")

        assert ada.decide({"recording": "granted"})["ok"]
        expect(gate(page)).to_have_text("Recording allowed")
        expect(row).to_contain_text("Accepted")
        assert ada.decide({"recording": "withdrawn"})["ok"]
        expect(gate(page)).to_have_text("Recording blocked: 1 participant has not consented")
        expect(row).to_contain_text("Withdrawn")
    finally:
        ada.close()
    expect(row).to_contain_text("Left")
    expect(gate(page)).to_have_text("Recording blocked: nobody is in the call")

    org.post(f"/api/v1/calls/{call['id']}/end")
    expect(gate(page)).to_have_text("The call has ended")
    assert dashboard_seq(page) == server_seq(org, call)


def test_a_missed_update_is_recovered_by_resync(
        page: Page, call: dict[str, Any], server: Server, org: Org) -> None:
    sent: list[str] = []
    dropped: list[str] = []

    def handle(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()

        def outgoing(message: str | bytes) -> None:
            sent.append(str(message))
            upstream.send(message)

        def incoming(message: str | bytes) -> None:
            # Lose the first update on its way to the dashboard, as a flaky network would.
            if not dropped and str(message).startswith('42/host,["update"'):
                dropped.append(str(message))
                return
            ws.send(message)

        ws.on_message(outgoing)
        upstream.on_message(incoming)

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), handle)
    open_dashboard(page, call)

    people = [Participant(server.url, call["widget"]["token"]) for _ in range(3)]
    try:
        for number, person in enumerate(people):
            person.join({"display_name": f"Student {number}"})
            assert person.decide({"recording": "granted"})["ok"]
        final = server_seq(org, call)
        page.wait_for_function(f"() => window.consentDashboard.seq() === {final}")
        assert dropped, "no update was dropped, so nothing was tested"
        assert any('"resync"' in frame for frame in sent)
        expect(page.locator("#roster-body tr")).to_have_count(3)
        expect(gate(page)).to_have_text("Recording allowed")
    finally:
        for person in people:
            person.close()


def test_a_reconnecting_dashboard_catches_up(
        page: Page, call: dict[str, Any], server: Server, org: Org) -> None:
    routes: list[WebSocketRoute] = []

    def handle(ws: WebSocketRoute) -> None:
        ws.connect_to_server()
        routes.append(ws)

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), handle)
    open_dashboard(page, call)
    routes[-1].close()
    expect(page.locator("#connection")).to_have_text("Connection lost. Reconnecting…")
    person = Participant(server.url, call["widget"]["token"])  # joins while the host is away
    try:
        person.join({"display_name": "Late Student"})
        expect(page.locator("#connection")).to_have_text("Live", timeout=15000)
        expect(page.locator("#roster-body tr", has_text="Late Student")).to_be_visible()
        page.wait_for_function(
            f"() => window.consentDashboard.seq() === {server_seq(org, call)}")
    finally:
        person.close()


def test_a_wrong_host_link_is_explained(page: Page, server: Server,
                                        call: dict[str, Any]) -> None:
    page.goto(f"{server.url}/host#token={call['widget']['token']}")
    expect(page.get_by_role("heading", name="This dashboard link is not valid")).to_be_visible()
    expect(page.locator("#gate")).to_be_hidden()


def test_the_dashboard_passes_axe_at_laptop_and_phone_widths(
        page: Page, call: dict[str, Any], server: Server) -> None:
    person = Participant(server.url, call["widget"]["token"])
    try:
        person.join({"display_name": "Ada Lovelace"})
        open_dashboard(page, call)
        expect(page.locator("#roster-body tr")).to_have_count(1)
        assert axe_violations(page.main_frame, server.url) == []
        page.set_viewport_size({"width": 390, "height": 844})
        assert axe_violations(page.main_frame, server.url) == []
        # Phone width: no sideways scrolling of the page.
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        person.close()


def seed(server: Server, call: dict[str, Any], count: int) -> None:
    """Put `count` participants with mixed choices straight into the server's database."""
    database = Database(server.env["WIDGET_SERVER_DATABASE_URL"])
    choices = ["granted", "denied", "granted", "withdrawn", None]
    try:
        world = World(database)  # joins and decisions as the socket edge makes them
        for number in range(count):
            joined = world.join(call["id"], {"display_name": f"Student {number:04d}"},
                                language="en")
            pid = joined["participant"]["id"]
            choice = choices[number % len(choices)]
            if choice == "withdrawn":
                world.decide(call["id"], pid, {"recording": "granted"})
            if choice:
                world.decide(call["id"], pid, {"recording": choice})
    finally:
        database.dispose()


def test_two_thousand_participants_stay_responsive(
        context: BrowserContext, call: dict[str, Any], server: Server, org: Org) -> None:
    seed(server, call, 2000)
    page = context.new_page()
    page.goto(call["host"]["url"])
    page.wait_for_function("() => window.consentDashboard.participants() === 2000",
                           timeout=15000)
    page.evaluate("""() => { window.longTasks = [];
        new PerformanceObserver(list => list.getEntries().forEach(
            e => window.longTasks.push(Math.round(e.duration)))).observe({type: "longtask"}); }""")

    # A burst of live changes while 2,000 rows are on the page.
    people = [Participant(server.url, call["widget"]["token"]) for _ in range(20)]
    try:
        for number, person in enumerate(people):
            person.join({"display_name": f"Live {number}"})
        for person in people:
            assert person.decide({"recording": "granted"})["ok"]
            assert person.decide({"notes_email": "denied"})["ok"]
        final = server_seq(org, call)
        page.wait_for_function(f"() => window.consentDashboard.seq() === {final}", timeout=10000)
    finally:
        for person in people:
            person.close()
    long_tasks: list[int] = page.evaluate("() => window.longTasks")
    assert max(long_tasks, default=0) < 250, f"the page froze: long tasks {long_tasks} ms"

    page.select_option("#filter-show", "left")
    # The server may mark connectionless (seeded) participants away meanwhile: check the
    # filter's meaning on what the page shows, at one instant, rather than a count.
    page.wait_for_function("""() => {
        const rows = Array.from(document.querySelectorAll("#roster-body tr"));
        const gone = r => r.querySelector(".cell-presence").classList.contains("is-gone");
        return rows.filter(r => !r.hidden).length >= 20 && rows.every(r => r.hidden !== gone(r));
    }""", timeout=10000)
    page.select_option("#filter-show", "all")
    page.fill("#filter-text", "student 000")
    expect(page.locator("#roster-count")).to_have_text("Showing 10 of 2,020")
    page.close()


def test_the_roster_names_its_purposes_and_who_blocks_recording(
        page: Page, call: dict[str, Any], server: Server) -> None:
    """Needs the roster's call to declare its purposes (key, title, lawful_basis,
    gates_recording): column titles in words, and the "Blocking recording" filter."""
    people = [Participant(server.url, call["widget"]["token"]) for _ in range(3)]
    try:
        for number, person in enumerate(people):
            person.join({"display_name": f"Student {number}"})
        assert people[0].decide({"recording": "granted"})["ok"]
        assert people[1].decide({"recording": "denied"})["ok"]
        open_dashboard(page, call)
        header = page.locator("#roster-head-row")
        expect(header).to_contain_text("Record this session")
        expect(header).to_contain_text("needed to record")
        expect(header).not_to_contain_text("Running the call")  # informational: no column
        expect(gate(page)).to_have_text("Recording blocked: 2 participants have not consented")
        page.select_option("#filter-show", "blocking")
        visible = page.locator("#roster-body tr:not([hidden])")
        expect(visible).to_have_count(2)
        expect(visible.first).to_contain_text("Student 1")
        expect(visible.last).to_contain_text("Student 2")
    finally:
        for person in people:
            person.close()


def test_present_and_left_are_counted_apart_and_blocking_shows_since_when(
        page: Page, call: dict[str, Any], server: Server) -> None:
    open_dashboard(page, call)
    ada = Participant(server.url, call["widget"]["token"])
    grace = Participant(server.url, call["widget"]["token"])
    try:
        ada.join({"display_name": "Ada Lovelace"})
        grace.join({"display_name": "Grace Hopper"})
        assert grace.decide({"recording": "granted"})["ok"]
        ada_row = page.locator("#roster-body tr", has_text="Ada Lovelace")
        grace_row = page.locator("#roster-body tr", has_text="Grace Hopper")
        # Ada holds recording up (nothing granted yet): the table says since when.
        expect(ada_row.locator(".cell-blocking")).to_have_text(re.compile(r"^since \d\d:\d\d:\d\d$"))
        expect(grace_row.locator(".cell-blocking")).to_have_text("–")
        expect(page.locator("#present-count")).to_have_text("2")
        expect(page.locator("#left-count")).to_have_text("0")
    finally:
        grace.close()
    # Grace left: counted apart, and her "Accepted" no longer counts among those present.
    expect(page.locator("#present-count")).to_have_text("1")
    expect(page.locator("#left-count")).to_have_text("1")
    recording = page.locator(".purpose-stat", has_text="Record this session")
    expect(recording.locator(".legend-item--granted .legend-count")).to_have_text("0")
    expect(recording.locator(".stat-left")).to_have_text("Left the call: Accepted 1")
    ada.close()


def test_a_feed_that_stops_shows_a_banner_and_its_return_resynchronises(
        page: Page, call: dict[str, Any], server: Server) -> None:
    sent, routes = record_socket(page.context)
    open_dashboard(page, call)
    banner = page.locator("#stale")
    expect(banner).to_be_hidden()
    # The server's host namespace says its live feed stopped (as a Socket.IO event would).
    routes[-1].send('42/host,["feed",{"live":false}]')
    expect(banner).to_be_visible()
    expect(banner).to_have_text("Live updates are interrupted: this view may be out of date.")
    ada = Participant(server.url, call["widget"]["token"])
    try:
        ada.join({"display_name": "Ada Lovelace"})
        before = len([m for m in sent if '"resync"' in m])
        routes[-1].send('42/host,["feed",{"live":true}]')
        expect(banner).to_be_hidden()
        # Back live: it asks for what it may have missed since its last applied seq.
        page.wait_for_function("() => window.consentDashboard.participants() === 1")
        assert len([m for m in sent if '"resync"' in m]) > before
        expect(page.locator("#roster-body tr", has_text="Ada Lovelace")).to_be_visible()
    finally:
        ada.close()


def test_the_dashboard_with_many_participants_passes_axe(
        page: Page, call: dict[str, Any], server: Server) -> None:
    people = [Participant(server.url, call["widget"]["token"]) for _ in range(12)]
    try:
        for number, person in enumerate(people):
            person.join({"display_name": f"Person {number}"})
            if number % 3 == 0:
                person.decide({"recording": "granted"})
        open_dashboard(page, call)
        expect(page.locator("#roster-body tr")).to_have_count(12)
        assert axe_violations(page.main_frame) == []
    finally:
        for person in people:
            person.close()
