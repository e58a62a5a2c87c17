"""The participant's manage page (CONTRACT §C, issue 12 item 1) in Chromium, against a real
server: `/manage/<participant id>#key=<secret>`, the secret taken out of the address bar and sent
only in the `Authorization: Participant` header; the notice, states, data held, ledger and
receipts; withdrawal after the end (channel manage), export, erasure; a wrong link; German."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Locator, Page, Request, expect

from tests.browser.conftest import axe_violations
from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Participant, Server

pytestmark = pytest.mark.browser

NAME = "Ada Lovelace"


def joined(server: Server, call: dict[str, Any], choices: dict[str, str] | None = None,
           language: str = "en", name: str = NAME) -> Participant:
    """A participant who joined `call` over Socket.IO (as the widget does), then left."""
    person = Participant(server.url, call["widget"]["token"])
    try:
        person.join({"display_name": name}, language=language)
        if choices:
            assert person.decide(choices)["ok"]
    finally:
        person.close()
    return person


def manage_link(server: Server, person: Participant, whole: bool = False) -> str:
    """The link as the email sends it: the secret part of the resume value in `#key=`
    (`whole`: the entire `<participant id>.<secret>`, which the page accepts too)."""
    assert person.resume is not None and person.id is not None
    key = person.resume if whole else person.resume.split(".", 1)[1]
    return f"{server.url}/manage/{person.id}#key={key}"


def me(server: Server, person: Participant) -> dict[str, Any]:
    response = requests.get(f"{server.url}/api/v1/me", timeout=10,
                            headers={"Authorization": f"Participant {person.resume}"})
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture
def requests_seen(page: Page) -> Iterator[list[Request]]:
    seen: list[Request] = []
    page.on("request", lambda request: seen.append(request))
    yield seen


def purpose(page: Page, key: str) -> Locator:
    return page.locator(f"article[data-purpose={key}]")


def live_region(page: Page) -> Locator:
    return page.locator("#live")


def api_calls(seen: list[Request]) -> list[Request]:
    return [r for r in seen if "/api/" in r.url]


@pytest.mark.parametrize("whole", [False, True], ids=["secret", "whole-resume"])
def test_the_key_leaves_the_address_bar_and_the_page_shows_notice_states_and_name(
        page: Page, org: Org, server: Server, requests_seen: list[Request], whole: bool
) -> None:
    call = org.open_call(lecture_notice())
    person = joined(server, call, {"recording": "granted"})
    page.goto(manage_link(server, person, whole))

    expect(page.get_by_role("heading", name="Your data and choices", level=1)).to_be_visible()
    assert page.url == f"{server.url}/manage/{person.id}"  # the fragment is gone at once
    assert page.evaluate("() => location.hash") == ""
    # Kept in memory only: no storage, no cookie.
    assert page.evaluate(
        "() => [localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]

    # The call, the controller, each purpose with its basis, data, retention and state.
    expect(page.locator("[data-key=call-title]")).to_contain_text("E2E call")
    expect(page.locator("[data-status]")).to_have_text("Running")
    expect(page.get_by_text("Example University")).to_be_visible()
    recording = purpose(page, "recording")
    expect(recording).to_contain_text("Record this session")
    expect(recording).to_contain_text("Your consent")
    expect(recording).to_contain_text("Uses: your name")
    expect(recording).to_contain_text("Kept: 30 days after the call")
    expect(recording.locator(".status")).to_have_text("You accepted.")
    expect(purpose(page, "notes_email").locator(".status")).to_have_text(
        "You have not decided yet.")
    attendance = purpose(page, "attendance")
    expect(attendance).to_contain_text("Legitimate interest")
    expect(attendance).to_contain_text("Knowing who attended, for course credit.")
    expect(attendance.get_by_role("button", name="Object")).to_be_visible()
    # While the call runs: withdraw what was granted, accept or decline what is pending.
    expect(recording.get_by_role("button")).to_have_text(["Withdraw my consent"])
    expect(purpose(page, "notes_email").get_by_role("button")).to_have_text(["Accept", "Decline"])
    expect(purpose(page, "service").get_by_role("button")).to_have_count(0)

    # Their own data, in the open; the ledger and the receipt.
    expect(page.locator("dd[data-field=display_name]")).to_have_text(NAME)
    expect(page.locator("tr[data-state=notice_served]")).to_have_count(1)
    expect(page.locator("tr[data-purpose=recording][data-state=granted]")).to_contain_text(
        "Consent form")
    expect(page.locator("li[data-receipt]")).to_have_count(1)

    # Every request carried the secret in the header and nothing in a query string.
    calls = api_calls(requests_seen)
    assert [r.url for r in calls] == [f"{server.url}/api/v1/me"]
    assert calls[0].headers["authorization"] == f"Participant {person.resume}"
    assert all("?" not in r.url and "key=" not in r.url for r in requests_seen)
    assert axe_violations(page) == []


def test_after_the_end_a_withdrawal_is_recorded_and_granting_is_not_offered(
        page: Page, org: Org, server: Server) -> None:
    call = org.open_call(lecture_notice())
    person = joined(server, call, {"recording": "granted", "notes_email": "denied"})
    org.post(f"/api/v1/calls/{call['id']}/end")
    page.goto(manage_link(server, person))

    expect(page.locator("[data-status]")).to_contain_text("Ended")
    expect(page.locator("[data-key=rights-now]")).to_contain_text(
        "accepting is no longer possible")
    # Only what the rights allow: withdraw, object; never accept or stop objecting.
    expect(page.get_by_role("button", name="Accept")).to_have_count(0)
    expect(page.get_by_role("button", name="Stop objecting")).to_have_count(0)
    expect(purpose(page, "notes_email").get_by_role("button")).to_have_count(0)
    expect(purpose(page, "attendance").get_by_role("button")).to_have_text(["Object"])

    # Keyboard only: focus the button, press Enter.
    withdraw = purpose(page, "recording").get_by_role("button", name="Withdraw my consent")
    withdraw.focus()
    page.keyboard.press("Enter")
    expect(live_region(page)).to_have_text("Saved: Record this session, Withdrawn.")
    expect(purpose(page, "recording").locator(".status")).to_have_text(
        "You withdrew your consent.")
    expect(purpose(page, "recording").get_by_role("button")).to_have_count(0)
    # The focus stays on the purpose (its button went).
    assert page.evaluate("() => document.activeElement.dataset.key") == "title-recording"
    row = page.locator("tr[data-purpose=recording]").last
    expect(row).to_have_attribute("data-state", "withdrawn")
    expect(row).to_have_attribute("data-channel", "manage")
    expect(row).to_contain_text("This page")

    ledger = org.get(f"/api/v1/calls/{call['id']}/decisions")["items"]
    assert (ledger[-1]["purpose"], ledger[-1]["state"], ledger[-1]["channel"]) == (
        "recording", "withdrawn", "manage")
    assert axe_violations(page) == []


def test_a_grant_the_server_refuses_after_the_end_shows_its_words(
        page: Page, org: Org, server: Server) -> None:
    call = org.open_call(lecture_notice())
    person = joined(server, call)
    page.goto(manage_link(server, person))
    accept = purpose(page, "recording").get_by_role("button", name="Accept")
    expect(accept).to_be_visible()

    org.post(f"/api/v1/calls/{call['id']}/end")  # ends while the page is open
    accept.click()
    status = purpose(page, "recording").locator(".status")
    expect(status).to_have_class("status status--error")
    expect(status).to_contain_text("ended")
    expect(live_region(page)).to_contain_text("Not saved: Record this session.")
    # Read again: the call has ended, accepting is no longer offered.
    expect(page.get_by_role("button", name="Accept")).to_have_count(0)
    expect(page.locator("[data-status]")).to_contain_text("Ended")
    assert me(server, person)["state"]["recording"] == "pending"


def test_while_the_call_runs_a_grant_asks_for_its_data_and_an_objection_can_be_taken_back(
        page: Page, org: Org, server: Server) -> None:
    call = org.open_call(lecture_notice())
    person = joined(server, call)
    page.goto(manage_link(server, person))

    notes = purpose(page, "notes_email")
    notes.get_by_role("button", name="Accept").click()
    email = notes.get_by_label("Email address")
    expect(email).to_be_focused()  # asked with the grant, not before
    page.keyboard.type("ada@example.org")
    page.keyboard.press("Enter")
    expect(notes.locator(".status")).to_have_text("You accepted.")
    expect(page.locator("dd[data-field=email]")).to_have_text("ada@example.org")
    expect(live_region(page)).to_have_text("Saved: Email me the notes, Accepted.")

    attendance = purpose(page, "attendance")
    attendance.get_by_role("button", name="Object").click()
    expect(attendance.locator(".status")).to_have_text("You objected.")
    # The name went with it (nothing else needs it); the email stays for the notes.
    expect(page.locator("dd[data-field=display_name]")).to_have_count(0)
    expect(page.locator("dd[data-field=email]")).to_have_count(1)
    # Taking the objection back needs the name again: the server says so, the page asks.
    attendance.get_by_role("button", name="Stop objecting").click()
    name = attendance.get_by_label("Your name")
    expect(name).to_be_focused()
    expect(attendance.locator(".grant-legend")).to_have_text(
        "To stop objecting to “Attendance list”, the organiser needs again:")
    page.keyboard.type(NAME)
    page.keyboard.press("Enter")
    expect(attendance.locator(".status")).to_have_text("You have not objected.")
    expect(page.locator("dd[data-field=display_name]")).to_have_text(NAME)
    states = [(e["purpose"], e["state"], e["channel"]) for e in me(server, person)["events"]]
    assert states[-3:] == [("notes_email", "granted", "manage"),
                           ("attendance", "objected", "manage"),
                           ("attendance", "not_objected", "manage")]


def test_the_export_downloads_a_json_file_with_the_name(
        page: Page, org: Org, server: Server, tmp_path: Path) -> None:
    call = org.open_call(lecture_notice())
    person = joined(server, call, {"recording": "granted"})
    page.goto(manage_link(server, person))
    with page.expect_download() as started:
        page.get_by_role("button", name="Download my data").click()
    download = started.value
    assert download.suggested_filename == f"my-data-{person.id}.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = json.loads(saved.read_text())
    assert document["fields"] == {"display_name": NAME}
    assert document["participant"]["id"] == person.id
    expect(live_region(page)).to_have_text("Your data was saved as a file.")


def test_a_receipt_downloads_as_the_widget_makes_it_and_opens_printable(
        page: Page, org: Org, server: Server, tmp_path: Path) -> None:
    call = org.open_call(lecture_notice())
    person = joined(server, call, {"recording": "granted"})
    page.goto(manage_link(server, person))
    receipt = page.locator("li[data-receipt]")
    receipt_id = receipt.get_attribute("data-receipt")
    with page.expect_download() as started:
        receipt.get_by_role("button", name="Download my receipt").click()
    download = started.value
    assert download.suggested_filename == f"consent-receipt-{receipt_id}.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = json.loads(saved.read_text())
    assert set(document) == {"jws", "payload"}
    assert document["payload"]["receipt_id"] == receipt_id
    assert NAME not in saved.read_text()
    checked = server.cli("verify-receipt", str(saved), check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    link = receipt.get_by_role("link", name="Printable receipt")
    assert (link.get_attribute("href") or "").startswith("/receipt#jws=")
    with page.context.expect_page() as opened:
        link.click()
    printable = opened.value
    printable.wait_for_load_state()
    expect(printable.get_by_role("heading", name="Consent receipt")).to_be_visible()
    expect(printable.locator("[data-verdict]")).to_have_attribute("data-verdict", "valid")


def test_erasure_asks_first_then_nothing_is_held_and_the_ledger_says_erased(
        page: Page, org: Org, server: Server) -> None:
    call = org.open_call(lecture_notice())
    person = joined(server, call, {"recording": "granted"})
    page.goto(manage_link(server, person))
    erase = page.get_by_role("button", name="Erase my data")

    # The first press only asks; Escape takes it back, the focus returns to the button.
    erase.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Erase your data now?")).to_be_focused()
    expect(page.locator("#erase-confirm")).to_contain_text("your name")
    page.keyboard.press("Escape")
    expect(page.locator("#erase-confirm")).to_have_count(0)
    expect(erase).to_be_focused()
    assert me(server, person)["fields"] == {"display_name": NAME}

    erase.click()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Yes, erase my data").click()
    expect(page.locator("[data-key=held-none]")).to_have_text(
        "No personal data of yours is held now.")
    expect(page.get_by_role("heading", name="Data held about you")).to_be_focused()
    expect(live_region(page)).to_contain_text("Erased: your name.")
    erased = page.locator("tr[data-state=erased]")
    expect(erased).to_have_count(1)
    expect(erased).to_have_attribute("data-channel", "manage")
    assert NAME not in page.content()
    # Nothing left to erase, the erasure recorded: no second button.
    expect(page.get_by_role("button", name="Erase my data")).to_have_count(0)
    assert me(server, person)["fields"] == {}
    # The choices stay recorded (the proof); only the data went.
    expect(purpose(page, "recording").locator(".status")).to_have_text("You accepted.")


def test_a_wrong_or_missing_key_shows_the_invalid_link_message(
        page: Page, org: Org, server: Server, requests_seen: list[Request]) -> None:
    call = org.open_call(lecture_notice())
    person = joined(server, call)
    assert person.resume is not None
    secret = person.resume.split(".", 1)[1]

    page.goto(f"{server.url}/manage/{person.id}#key=x{secret}")
    expect(page.get_by_role("heading", name="This link is not valid or has expired")
           ).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Open the link from your email again")
    assert page.url == f"{server.url}/manage/{person.id}"
    [asked] = api_calls(requests_seen)
    assert asked.url == f"{server.url}/api/v1/me"
    assert asked.headers["authorization"] == f"Participant {person.id}.x{secret}"
    assert all("?" not in r.url for r in requests_seen)
    assert secret not in "".join(r.url for r in requests_seen)
    assert axe_violations(page) == []

    # Without a key nothing is asked at all.
    requests_seen.clear()
    page.goto(f"{server.url}/manage/{person.id}")
    page.reload()
    expect(page.get_by_role("heading", name="This link is not valid or has expired")
           ).to_be_visible()
    assert api_calls(requests_seen) == []


def test_the_page_has_a_strict_policy_and_is_never_framed(server: Server) -> None:
    response = requests.get(f"{server.url}/manage/p_{'0' * 32}", timeout=10)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_german_participant_gets_the_page_in_german(chromium: Browser, org: Org,
                                                      server: Server) -> None:
    call = org.open_call(lecture_notice())
    person = joined(server, call, {"recording": "granted"}, language="de")
    # The browser says English: the participant's own language wins.
    context = chromium.new_context(locale="en-GB", viewport={"width": 1280, "height": 2200})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(manage_link(server, person))
        expect(page.get_by_role("heading", name="Ihre Daten und Entscheidungen", level=1)
               ).to_be_visible()
        assert page.evaluate("() => document.documentElement.lang") == "de"
        assert page.title() == "Ihre Daten und Entscheidungen"
        recording = purpose(page, "recording")
        expect(recording).to_contain_text("Diese Sitzung aufzeichnen")
        expect(recording.get_by_role("button")).to_have_text(["Einwilligung widerrufen"])
        expect(page.get_by_role("button", name="Meine Daten herunterladen")).to_be_visible()
        expect(page.get_by_role("heading", name="Über Sie gespeicherte Daten")).to_be_visible()
        assert axe_violations(page) == []
        assert errors == []
    finally:
        context.close()
