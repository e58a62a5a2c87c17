"""The consent widget as a participant meets it: embedded by the snippet on a meeting page."""

import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from playwright.sync_api import BrowserContext, FrameLocator, Page, expect

from tests.browser.conftest import MeetingSite, axe_violations, record_socket
from tests.e2e.harness import Org, Server

pytestmark = pytest.mark.browser


def widget(page: Page) -> FrameLocator:
    return page.frame_locator("iframe.consent-widget-frame")


def join(page: Page, name: str = "Ada Lovelace") -> FrameLocator:
    frame = widget(page)
    frame.get_by_label("Your name").fill(name)
    frame.get_by_role("button", name="Join").click()
    expect(frame.get_by_role("heading", name="Lecture capture")).to_be_visible()
    # Joined: the choices appear (the notice itself was there before the name was asked).
    expect(frame.get_by_role("group", name="Record this session")).to_be_visible()
    page.wait_for_function("() => window.consentEvents.length > 0")
    return frame


def purpose(frame: FrameLocator, title: str) -> Any:
    """The accept/decline (or object) group of one purpose."""
    return frame.get_by_role("group", name=title)


def events(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate("() => window.consentEvents")
    return found


def sent_events(sent: list[str], name: str) -> list[dict[str, Any]]:
    """The payloads of Socket.IO events called `name` among raw websocket frames."""
    found = []
    for frame in sent:
        match = re.match(r"^42/participant,\d*(\[.*\])$", frame)
        if match:
            event = json.loads(match.group(1))
            if event[0] == name:
                found.append(event[1])
    return found


def test_the_snippet_frames_the_widget_with_the_token_only_in_the_fragment(
        page: Page, meeting_url: str, call: dict[str, Any], server: Server) -> None:
    urls: list[str] = []
    page.context.on("request", lambda request: urls.append(request.url))
    page.goto(meeting_url)
    expect(widget(page).get_by_label("Your name")).to_be_visible()

    src = urlsplit(page.locator("iframe.consent-widget-frame").get_attribute("src") or "")
    token = call["widget"]["token"]
    assert f"{src.scheme}://{src.netloc}" == server.url
    assert src.path == f"/widget/{call['id']}"
    meeting = urlsplit(meeting_url)
    assert src.query == "parent=" + quote(f"{meeting.scheme}://{meeting.netloc}", safe="")
    assert src.fragment == f"token={token}"
    assert not [url for url in urls if token in url], "the token travelled in a URL"


def test_only_the_organisations_pages_may_frame_the_widget(
        page: Page, call: dict[str, Any], meeting_site: MeetingSite, server: Server) -> None:
    # The page names the parent's origin only, and only when it is the organisation's.
    policy = requests.get(f"{server.url}/widget/{call['id']}",
                          params={"parent": meeting_site.origin}, timeout=10).headers
    assert f"frame-ancestors {meeting_site.origin};" in policy["Content-Security-Policy"] + ";"
    anyone = requests.get(f"{server.url}/widget/{call['id']}", timeout=10).headers
    assert "frame-ancestors 'none'" in anyone["Content-Security-Policy"]
    stranger = requests.get(f"{server.url}/widget/{call['id']}",
                            params={"parent": "https://evil.example"}, timeout=10).headers
    assert "frame-ancestors 'none'" in stranger["Content-Security-Policy"]
    assert "script-src 'self'" in policy["Content-Security-Policy"]
    assert policy["X-Content-Type-Options"] == "nosniff"
    host = requests.get(f"{server.url}/host", timeout=10).headers
    assert "frame-ancestors 'none'" in host["Content-Security-Policy"]
    assert requests.get(f"{server.url}/widget/call_nonexistent", timeout=10).status_code == 404

    # The same snippet on a page the organisation did not list: the browser refuses the frame.
    page.goto(meeting_site.other_origin + meeting_site.publish(call["widget"]["snippet"]))
    page.wait_for_timeout(1500)
    framed = [f for f in page.frames if f.url.startswith(server.url)]
    assert all(f.locator("#content").count() == 0 for f in framed)


def test_the_notice_is_shown_in_full_with_nothing_preselected(
        page: Page, meeting_url: str) -> None:
    page.goto(meeting_url)
    frame = join(page)
    expect(frame.get_by_text("Example University is responsible for your data.")).to_be_visible()
    expect(frame.get_by_role("link", name="dpo@example.edu")).to_have_attribute(
        "href", "mailto:dpo@example.edu")
    expect(frame.get_by_role("link", name=re.compile("Privacy policy"))).to_have_attribute(
        "href", "https://example.edu/privacy")
    for title in ("Record this session", "Email me the notes", "Attendance list",
                  "Running the call"):
        expect(frame.get_by_role("heading", name=title)).to_be_visible()
    expect(frame.get_by_text("30 days after the call").first).to_be_visible()
    expect(frame.get_by_text("your email address")).to_be_visible()
    # Consent: nothing chosen for the participant; accept and decline look the same.
    assert frame.locator('[aria-pressed="true"]').count() == 0
    accept = purpose(frame, "Record this session").get_by_role("button", name="Accept")
    decline = purpose(frame, "Record this session").get_by_role("button", name="Decline")
    assert accept.get_attribute("class") == decline.get_attribute("class")
    box_a, box_d = accept.bounding_box(), decline.bounding_box()
    assert box_a and box_d and box_a["width"] == box_d["width"]
    assert box_a["height"] == box_d["height"]
    # Other bases inform, and never ask.
    expect(purpose(frame, "Running the call")).to_have_count(0)


def test_choices_are_recorded_and_the_meeting_page_hears_them(
        page: Page, meeting_url: str, call: dict[str, Any], org: Org) -> None:
    page.goto(meeting_url)
    frame = join(page)
    assert events(page)[-1]["recording_allowed"] is False

    purpose(frame, "Record this session").get_by_role("button", name="Accept").click()
    expect(frame.get_by_text("You accepted.")).to_be_visible()
    page.wait_for_function("() => window.consentEvents.at(-1).recording_allowed === true")
    expect(page.get_by_text("Recording: allowed")).to_be_visible()

    # Email is asked only now, while granting the purpose that needs it.
    purpose(frame, "Email me the notes").get_by_role("button", name="Accept").click()
    frame.get_by_label("Email address").fill("ada@example.org")
    frame.get_by_role("button", name="Accept and share").click()

    # Nothing left to decide: the compact summary, with its receipt and the way back.
    expect(frame.get_by_role("heading", name="Your choices")).to_be_visible()
    expect(frame.locator(".receipt code")).not_to_be_empty()
    expect(frame.get_by_role("button", name="Change my choices")).to_be_visible()
    assert events(page)[-1]["state"] == {"recording": "granted", "notes_email": "granted",
                                         "attendance": "not_objected", "service": "informed"}

    ledger = org.get(f"/api/v1/calls/{call['id']}/decisions")["items"]
    # First the proof of what was shown (notice_served), then each choice.
    assert [(item["purpose"], item["state"]) for item in ledger] == [
        (None, "notice_served"), ("recording", "granted"), ("notes_email", "granted")]
    assert {item["channel"] for item in ledger} == {"widget"}


def test_declining_sends_no_data_and_withdrawing_is_one_click(
        page: Page, meeting_url: str) -> None:
    sent, _ = record_socket(page.context)
    page.goto(meeting_url)
    frame = join(page)

    purpose(frame, "Email me the notes").get_by_role("button", name="Decline").click()
    expect(frame.get_by_text("You declined.")).to_be_visible()
    expect(frame.get_by_label("Email address")).to_have_count(0)
    purpose(frame, "Record this session").get_by_role("button", name="Accept").click()

    frame.get_by_role("button", name="Change my choices").click()
    purpose(frame, "Record this session").get_by_role("button", name="Decline").click()
    expect(frame.get_by_text("You withdrew your consent.")).to_be_visible()
    page.wait_for_function("() => window.consentEvents.at(-1).recording_allowed === false")

    decisions = sent_events(sent, "decide")
    assert [d["choices"] for d in decisions] == [
        {"notes_email": "denied"}, {"recording": "granted"}, {"recording": "withdrawn"}]
    assert all("fields" not in d for d in decisions)
    assert len({d["event_id"] for d in decisions}) == 3
    # The name is sent once, with the join, after the notice that asks for it was shown.
    assert [j["fields"] for j in sent_events(sent, "join")] == [{"display_name": "Ada Lovelace"}]
    assert [j["seen"]["notice_hash"][:7] for j in sent_events(sent, "join")] == ["sha256:"]


def test_a_legitimate_interest_can_be_objected_to_and_back(page: Page, meeting_url: str) -> None:
    page.goto(meeting_url)
    frame = join(page)
    objection = purpose(frame, "Attendance list").get_by_role("button", name="Object")
    expect(objection).to_have_attribute("aria-pressed", "false")
    objection.click()
    expect(frame.get_by_text("You objected.")).to_be_visible()
    expect(objection).to_have_attribute("aria-pressed", "true")
    objection.click()
    # Objecting erased the name only this purpose (and no granted one) needed (CONTRACT §A):
    # taking the objection back asks for it again, with the choice.
    expect(frame.get_by_label("Your name")).to_be_focused()
    page.keyboard.type("Ada Lovelace")
    page.keyboard.press("Enter")
    expect(frame.get_by_text("You have not objected.")).to_be_visible()
    expect(objection).to_have_attribute("aria-pressed", "false")


def test_a_reload_resumes_the_same_participant(
        storage_context: BrowserContext, meeting_url: str, call: dict[str, Any],
        org: Org) -> None:
    page = storage_context.new_page()
    page.goto(meeting_url)
    frame = join(page)
    purpose(frame, "Record this session").get_by_role("button", name="Accept").click()
    purpose(frame, "Email me the notes").get_by_role("button", name="Decline").click()
    expect(frame.get_by_role("heading", name="Your choices")).to_be_visible()
    receipt = frame.locator(".receipt code").text_content()

    page.reload()
    frame = widget(page)
    expect(frame.get_by_role("heading", name="Your choices")).to_be_visible()
    expect(frame.locator(".receipt code")).to_have_text(receipt or "")
    expect(frame.get_by_label("Your name")).to_have_count(0)
    roster = org.get(f"/api/v1/calls/{call['id']}/participants")
    assert len(roster["participants"]) == 1


def test_a_reload_with_storage_blocked_leaves_the_old_participant_holding_nothing(
        page: Page, meeting_url: str, call: dict[str, Any], org: Org) -> None:
    # The default test profile blocks third-party storage, like a private window: no resume.
    page.goto(meeting_url)
    frame = join(page)
    purpose(frame, "Record this session").get_by_role("button", name="Accept").click()
    expect(frame.get_by_text("You accepted.")).to_be_visible()
    first = org.get(f"/api/v1/calls/{call['id']}/participants")["participants"]
    assert [p["present"] for p in first] == [True]

    page.reload()
    join(page, name="Ada Again")
    roster = org.get(f"/api/v1/calls/{call['id']}/participants")["participants"]
    old = next(p for p in roster if p["id"] == first[0]["id"])
    new = next(p for p in roster if p["id"] != first[0]["id"])
    # The old participant left when its page went: it is not present and blocks nothing.
    assert old["present"] is False and new["present"] is True
    gate = org.get(f"/api/v1/calls/{call['id']}/gate")
    assert gate["blocking_participants"] == [new["id"]] and gate["blocking"] == 1


def test_a_lost_connection_shows_reconnecting_and_resumes(
        page: Page, meeting_url: str, call: dict[str, Any], org: Org) -> None:
    _, routes = record_socket(page.context)
    page.goto(meeting_url)
    frame = join(page)
    routes[-1].close()  # the network drops the websocket
    banner = frame.locator("#banner")
    expect(banner).to_have_text("Connection lost. Reconnecting…")
    expect(banner).to_be_visible()
    # A choice made meanwhile is kept and sent once the connection is back.
    purpose(frame, "Record this session").get_by_role("button", name="Accept").click()
    expect(banner).to_be_hidden(timeout=15000)
    expect(frame.get_by_text("You accepted.")).to_be_visible()
    roster = org.get(f"/api/v1/calls/{call['id']}/participants")
    assert len(roster["participants"]) == 1  # the same participant, not a second one
    assert roster["participants"][0]["state"]["recording"] == "granted"


def test_a_reconnect_after_an_objection_does_not_bring_the_name_back(
        page: Page, meeting_url: str, call: dict[str, Any], org: Org) -> None:
    """The objection erased the name (no applying purpose needs it); the widget's rejoin after
    a dropped connection must neither send it again nor become a new participant."""
    sent, routes = record_socket(page.context)
    page.goto(meeting_url)
    frame = join(page, name="Ada Lovelace")
    purpose(frame, "Attendance list").get_by_role("button", name="Object").click()
    expect(frame.get_by_text("You objected.")).to_be_visible()
    # The objection acknowledged (the meeting page hears the state only after the ack), so the
    # widget knows the name is no longer held when the connection drops.
    page.wait_for_function("() => window.consentEvents.some("
                           "e => e.state && e.state.attendance === 'objected')")
    routes[-1].close()  # the network drops the websocket
    banner = frame.locator("#banner")
    expect(banner).to_be_visible()
    expect(banner).to_be_hidden(timeout=15000)
    joins = sent_events(sent, "join")
    assert len(joins) == 2 and joins[0]["fields"] == {"display_name": "Ada Lovelace"}
    assert joins[1]["fields"] == {}
    roster = org.get(f"/api/v1/calls/{call['id']}/participants")["participants"]
    assert len(roster) == 1 and roster[0]["present"] is True
    assert roster[0]["label"].startswith("Participant ")
    assert "Ada" not in json.dumps(roster)


def test_the_end_of_the_call_is_shown(page: Page, meeting_url: str, call: dict[str, Any],
                                      org: Org) -> None:
    page.goto(meeting_url)
    frame = join(page)
    org.post(f"/api/v1/calls/{call['id']}/end")
    expect(frame.get_by_role("heading", name="The call has ended")).to_be_visible()
    expect(frame.get_by_role("button", name="Accept")).to_have_count(0)


def test_a_wrong_token_is_explained(page: Page, server: Server, call: dict[str, Any]) -> None:
    page.goto(f"{server.url}/widget/{call['id']}#token=not-a-token")
    expect(page.get_by_role("heading", name="This consent link is not valid")).to_be_visible()
    page.goto("about:blank")
    page.goto(f"{server.url}/widget/{call['id']}#token={call['host']['token']}")  # wrong role
    expect(page.get_by_role("heading", name="This consent link is not valid")).to_be_visible()


def test_the_widget_speaks_the_participants_language(
        chromium: Any, meeting_url: str) -> None:
    context = chromium.new_context(locale="de-DE")
    try:
        page = context.new_page()
        page.goto(meeting_url)
        frame = widget(page)
        frame.get_by_label("Ihr Name").fill("Grete")
        frame.get_by_role("button", name="Teilnehmen").click()
        expect(frame.get_by_role("heading", name="Diese Sitzung aufzeichnen")).to_be_visible()
        expect(purpose(frame, "Diese Sitzung aufzeichnen").get_by_role(
            "button", name="Zustimmen")).to_be_visible()
        assert frame.locator("html").get_attribute("lang") == "de"
    finally:
        context.close()


def test_everything_works_from_the_keyboard(page: Page, meeting_url: str) -> None:
    page.goto(meeting_url)
    frame = widget(page)
    name = frame.get_by_label("Your name")
    expect(name).to_be_visible()
    for _ in range(10):  # the keyboard user tabs until the field has the focus
        if name.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(name).to_be_focused()
    page.keyboard.type("Kim")
    page.keyboard.press("Enter")
    expect(frame.get_by_role("heading", name="Lecture capture")).to_be_focused()

    accept = purpose(frame, "Email me the notes").get_by_role("button", name="Accept")
    for _ in range(12):
        page.keyboard.press("Tab")
        if accept.evaluate("el => el === document.activeElement"):
            break
    expect(accept).to_be_focused()
    # The focus is visible (a ring drawn as a box-shadow).
    assert accept.evaluate("el => getComputedStyle(el).boxShadow") != "none"
    page.keyboard.press("Enter")
    expect(frame.get_by_label("Email address")).to_be_focused()
    page.keyboard.type("kim@example.org")
    page.keyboard.press("Enter")
    expect(frame.get_by_text("You accepted.")).to_be_visible()
    decline = purpose(frame, "Record this session").get_by_role("button", name="Decline")
    decline.focus()
    page.keyboard.press("Space")
    # The view folds into the summary and takes the focus with it.
    expect(frame.get_by_role("heading", name="Your choices")).to_be_focused()
    page.keyboard.press("Tab")
    expect(frame.get_by_role("button", name="Change my choices")).to_be_focused()


def test_the_widget_passes_axe(page: Page, meeting_url: str, server: Server) -> None:
    page.goto(meeting_url)
    frame = widget(page)
    expect(frame.get_by_label("Your name")).to_be_visible()
    inner = next(f for f in page.frames if f.url.startswith(server.url))
    assert axe_violations(inner, server.url) == []
    join(page)
    assert axe_violations(inner, server.url) == []
    purpose(frame, "Email me the notes").get_by_role("button", name="Accept").click()
    frame.get_by_role("button", name="Accept and share").click()  # empty: shows an error
    expect(frame.locator(".field-error")).to_have_text("Please fill this in.")
    assert axe_violations(inner, server.url) == []
    frame.get_by_role("button", name="Cancel").click()
    purpose(frame, "Email me the notes").get_by_role("button", name="Decline").click()
    purpose(frame, "Record this session").get_by_role("button", name="Decline").click()
    expect(frame.get_by_role("heading", name="Your choices")).to_be_visible()
    assert axe_violations(inner, server.url) == []


def test_the_participant_can_switch_the_notice_language(
        page: Page, meeting_url: str, call: dict[str, Any], org: Org) -> None:
    page.goto(meeting_url)
    frame = join(page)
    purpose(frame, "Record this session").get_by_role("button", name="Accept").click()
    expect(frame.get_by_text("You accepted.")).to_be_visible()
    frame.get_by_label("Language").select_option("de")
    expect(frame.get_by_role("heading", name="Diese Sitzung aufzeichnen")).to_be_visible()
    expect(frame.get_by_text("Sie haben zugestimmt.")).to_be_visible()  # the same choices
    expect(frame.get_by_label("Sprache")).to_be_focused()
    roster = org.get(f"/api/v1/calls/{call['id']}/participants")
    assert len(roster["participants"]) == 1


def test_the_loader_listens_to_its_own_frame_only(page: Page, meeting_url: str) -> None:
    page.goto(meeting_url)
    join(page)
    count = len(events(page))
    # The page (or any other frame) posting a look-alike message is not the widget.
    page.evaluate("""() => window.postMessage({source: "consent-widget", type: "state",
        state: {recording: "granted"}, recording_allowed: true}, "*")""")
    page.wait_for_timeout(300)
    assert len(events(page)) == count
    assert page.locator("iframe.consent-widget-frame").get_attribute("title") == (
        "Consent for this call")


def test_the_frame_takes_the_height_of_its_content(page: Page, meeting_url: str,
                                                   server: Server) -> None:
    page.goto(meeting_url)
    frame = join(page)
    inner = next(f for f in page.frames if f.url.startswith(server.url))
    purpose(frame, "Record this session").get_by_role("button", name="Decline").click()
    purpose(frame, "Email me the notes").get_by_role("button", name="Decline").click()
    expect(frame.get_by_role("heading", name="Your choices")).to_be_visible()

    def heights() -> tuple[float, float]:
        box = page.locator("iframe.consent-widget-frame").bounding_box()
        content = inner.evaluate("() => document.documentElement.getBoundingClientRect().height")
        return (box["height"] if box else 0.0), float(content)

    for _ in range(20):
        outer, content = heights()
        if abs(outer - content) <= 1:
            break
        page.wait_for_timeout(100)
    assert abs(outer - content) <= 1, (outer, content)
    assert outer < 600  # the summary is compact


def test_scripts_that_cannot_load_show_a_clear_error(page: Page, meeting_url: str) -> None:
    # A broken install or a blocking proxy: the widget's modules never arrive.
    page.context.route(re.compile(r".*/static/widget/main\.js$"),
                       lambda route: route.fulfill(status=404, body="not found"))
    page.goto(meeting_url)
    frame = widget(page)
    failed = frame.get_by_role("alert")
    expect(failed).to_contain_text("The consent form could not load", timeout=15000)
    expect(failed).to_be_visible()
    expect(frame.get_by_role("button", name="Accept")).to_have_count(0)


def test_the_error_notice_stays_away_when_the_scripts_run(page: Page, meeting_url: str) -> None:
    page.goto(meeting_url)
    frame = widget(page)
    expect(frame.get_by_label("Your name")).to_be_visible()
    expect(frame.locator("#boot-failed")).to_have_count(0)
