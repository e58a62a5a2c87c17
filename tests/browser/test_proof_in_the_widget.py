"""The participant's proof in the widget (issue 11): the signed receipt, downloaded and printed,
and a notice change during the call, which asks again only what changed."""

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import MeetingSite, axe_violations
from tests.browser.test_widget import join, purpose, widget
from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Server
from tests.services.test_receipts import jose_verify

pytestmark = pytest.mark.browser


def accept_recording(page: Page) -> Any:
    frame = join(page)
    purpose(frame, "Record this session").get_by_role("button", name="Accept").click()
    expect(frame.get_by_text("You accepted.")).to_be_visible()
    return frame


def test_the_downloaded_receipt_verifies_with_the_servers_keys(
        page: Page, meeting_url: str, call: dict[str, Any], server: Server, tmp_path: Path
) -> None:
    page.goto(meeting_url)
    frame = accept_recording(page)

    with page.expect_download() as started:
        frame.get_by_role("button", name="Download my receipt").click()
    download = started.value
    assert download.suggested_filename.startswith("consent-receipt-rcpt_")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    document = json.loads(saved.read_text())
    assert set(document) == {"jws", "payload"}
    payload = document["payload"]
    assert payload["call_id"] == call["id"]
    assert {p["key"]: p["state"] for p in payload["purposes"]}["recording"] == "granted"
    assert "Ada" not in saved.read_text()  # the name given at join is not in the receipt

    # The product's own checker, as the participant's auditor would run it.
    checked = server.cli("verify-receipt", str(saved), check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # Another JOSE library than the product's, with only the published keys.
    jwks = requests.get(f"{server.url}/.well-known/jwks.json", timeout=10).json()
    assert jose_verify(document["jws"], jwks) == payload

    # The file the participant holds cannot be bent: a changed state no longer verifies.
    forged = copy.deepcopy(document)
    forged["payload"]["purposes"][0]["state"] = "denied"
    saved.write_text(json.dumps(forged))
    refused = server.cli("verify-receipt", str(saved), check=False)
    assert refused.returncode == 1
    assert "payload" in refused.stdout + refused.stderr


def test_the_printable_receipt_speaks_the_participants_language_and_checks_its_signature(
        chromium: Browser, meeting_site: MeetingSite, org: Org) -> None:
    call = org.open_call(lecture_notice())
    context = chromium.new_context(locale="de-DE", viewport={"width": 1280, "height": 2200})
    try:
        page = context.new_page()
        page.goto(meeting_site.origin + meeting_site.publish(call["widget"]["snippet"]))
        frame = widget(page)
        frame.get_by_label("Ihr Name").fill("Ada Lovelace")
        frame.get_by_role("button", name="Teilnehmen").click()
        group = frame.get_by_role("group", name="Diese Sitzung aufzeichnen")
        group.get_by_role("button", name="Zustimmen").click()
        expect(frame.locator(".receipt code")).not_to_be_empty()

        with context.expect_page() as opened:
            frame.get_by_role("button", name="Quittung zum Drucken").click()
        receipt = opened.value
        receipt.wait_for_load_state()
        assert "?" not in receipt.url and "#jws=" in receipt.url  # never sent to the server
        expect(receipt.get_by_role("heading", name="Einwilligungsquittung")).to_be_visible()
        expect(receipt.locator("[data-verdict]")).to_have_attribute("data-verdict", "valid")
        expect(receipt.get_by_role("row", name="recording")).to_contain_text("Zugestimmt")
        assert axe_violations(receipt) == []

        # The same page with the signed payload changed (granted → denied) says so.
        head, body, signature = receipt.url.split("#jws=")[1].split("&")[0].split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["purposes"][0]["state"] = "denied"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        receipt.goto(receipt.url.split("#")[0] + f"#jws={head}.{forged}.{signature}&lang=de")
        receipt.reload()
        expect(receipt.locator("[data-verdict]")).to_have_attribute("data-verdict", "invalid")
        expect(receipt.get_by_role("status")).to_contain_text("möglicherweise verändert")
    finally:
        context.close()


def changed_notes_email(notice: dict[str, Any]) -> dict[str, Any]:
    """Version 2 of the lecture notice: only "Email me the notes" changes (kept longer)."""
    later = copy.deepcopy(notice)
    [notes] = [p for p in later["purposes"] if p["key"] == "notes_email"]
    notes["retention_days"] = 14
    return later


def test_a_notice_change_during_the_call_asks_again_only_what_changed(
        page: Page, chromium: Browser, meeting_site: MeetingSite, org: Org, server: Server
) -> None:
    notice = lecture_notice()
    published = org.post("/api/v1/notices", notice)
    call = org.post("/api/v1/calls", {"title": "Changing call", "notice_id": published["id"]})
    page.goto(meeting_site.origin + meeting_site.publish(call["widget"]["snippet"]))
    frame = accept_recording(page)
    purpose(frame, "Email me the notes").get_by_role("button", name="Decline").click()
    expect(frame.get_by_role("heading", name="Your choices")).to_be_visible()

    host_context = chromium.new_context(locale="en-GB")
    try:
        host = host_context.new_page()
        host.goto(f"{server.url}/host#token={call['host']['token']}")
        expect(host.locator("#notice-version")).to_have_text("Notice version 1")

        org.post(f"/api/v1/notices/{published['id']}/versions", changed_notes_email(notice))
        org.post(f"/api/v1/calls/{call['id']}/notice", {"version": 2})

        # The widget opens the notice again, says what changed, and asks only that.
        expect(frame.locator("[data-key=notice-change]")).to_contain_text(
            "Please decide again on: Email me the notes.")
        expect(frame.locator("[data-key=badge-notes_email]")).to_have_text("Changed")
        expect(frame.locator("[data-key=badge-recording]")).to_have_count(0)
        expect(purpose(frame, "Record this session").get_by_role("button", name="Accept")
               ).to_have_attribute("aria-pressed", "true")
        notes = purpose(frame, "Email me the notes")
        expect(notes.get_by_role("button", name="Accept")).to_have_attribute("aria-pressed", "false")
        expect(notes.get_by_role("button", name="Decline")).to_have_attribute("aria-pressed", "false")
        expect(frame.get_by_text("1 choice left to make")).to_be_visible()

        # The dashboard shows the change.
        expect(host.locator("#notice-version")).to_have_text("Notice version 2")
        expect(host.locator("#notice-change")).to_contain_text(
            "Everyone is asked again about: Email me the notes.")

        notes.get_by_role("button", name="Decline").click()
        expect(frame.get_by_role("heading", name="Your choices")).to_be_visible()
        expect(frame.locator("[data-key=notice-change]")).to_have_count(0)
    finally:
        host_context.close()

    ledger = org.get(f"/api/v1/calls/{call['id']}/decisions")["items"]
    seen = [(item["purpose"], item["state"], item["notice_version"], item["channel"])
            for item in ledger]
    assert seen == [
        (None, "notice_served", 1, "widget"),
        ("recording", "granted", 1, "widget"),
        ("notes_email", "denied", 1, "widget"),
        ("notes_email", "pending", 2, "server"),  # asked anew by the change
        ("notes_email", "denied", 2, "widget"),
    ]
