"""The widget's way to manage choices later (issue 12): the manage link, and the same link by
email through a real SMTP server in its own process (aiosmtpd, delivering to a Maildir); the
address typed is forgotten once sent, and the emailed link opens the manage page, where a
withdrawal after the call's end is recorded and the export downloads."""

import json
import mailbox
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import MeetingSite
from tests.browser.test_widget import join, purpose
from tests.conftest import fresh_database, lecture_notice
from tests.e2e.harness import Org, Server, free_port

pytestmark = pytest.mark.browser

ADDRESS = "grace.canary-91c2@example.org"


class Inbox:
    """The Maildir the SMTP server process delivers to."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port

    def messages(self) -> list[EmailMessage]:
        box = mailbox.Maildir(str(self.folder), create=False)
        found = [message_from_bytes(box.get_bytes(key), policy=policy.default)
                 for key in box.iterkeys()]
        return [m for m in found if isinstance(m, EmailMessage)]

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(found := self.messages()) < count:
            assert time.monotonic() < deadline, f"{len(found)} of {count} messages arrived"
            time.sleep(0.1)
        return found


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    """aiosmtpd as its own process on loopback, delivering to a Maildir."""
    folder = tmp_path_factory.mktemp("smtp")
    maildir, port = folder / "Maildir", free_port()
    mailbox.Maildir(str(maildir), create=True)
    with (folder / "smtp.log").open("wb") as log:  # the child keeps its own copy
        process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
            stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, (folder / "smtp.log").read_text()
                assert time.monotonic() < deadline, "the SMTP server did not start"
                time.sleep(0.1)
        yield Inbox(maildir, port)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[Server]:
    folder: Path = tmp_path_factory.mktemp("mail-server")
    with fresh_database(folder) as url:
        server = Server(folder, url, extra_env={
            "WIDGET_SERVER_SMTP_URL": f"smtp://127.0.0.1:{inbox.port}"}).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def mail_org(mail_server: Server, meeting_site: MeetingSite) -> Org:
    return Org(mail_server, origins=(meeting_site.origin,))


@pytest.fixture
def mail_call(mail_org: Org) -> dict[str, Any]:
    return mail_org.open_call(lecture_notice())


def ask_for_the_link(page: Page, address: str) -> Any:
    """Join, decide everything, and ask for the manage link by email."""
    frame = join(page)
    purpose(frame, "Record this session").get_by_role("button", name="Accept").click()
    purpose(frame, "Email me the notes").get_by_role("button", name="Decline").click()
    expect(frame.get_by_role("heading", name="Your choices")).to_be_visible()
    frame.get_by_role("button", name="Email me the link").click()
    field = frame.get_by_label("Email address")
    expect(field).to_be_focused()
    field.fill(address)
    frame.get_by_role("button", name="Send the link").click()
    return frame


def test_the_emailed_link_opens_the_manage_page_for_a_withdrawal_after_the_end(
        page: Page, chromium: Browser, mail_server: Server, mail_org: Org,
        mail_call: dict[str, Any], meeting_site: MeetingSite, inbox: Inbox,
        tmp_path: Path) -> None:
    before = len(inbox.messages())
    page.goto(meeting_site.origin + meeting_site.publish(mail_call["widget"]["snippet"]))
    frame = ask_for_the_link(page, ADDRESS)
    expect(frame.locator("[data-key=manage-status]")).to_have_text(
        "The link is on its way to your inbox.")
    expect(frame.get_by_label("Email address")).to_have_count(0)  # the form and address gone
    href = frame.get_by_role("link", name="Manage my choices later").evaluate("a => a.href")
    assert href.startswith(f"{mail_server.url}/manage/p_") and "?" not in href

    message = inbox.wait_for(before + 1)[-1]
    assert message["To"] == ADDRESS
    [link] = re.findall(r"http://\S+/manage/\S+", message.get_content())
    assert link == href and "#key=" in link and "?" not in link
    assert ADDRESS not in mail_server.log()

    # After the call, on another device: the emailed link, the withdrawal, the export.
    mail_org.post(f"/api/v1/calls/{mail_call['id']}/end")
    later = chromium.new_context(locale="en-GB", accept_downloads=True)
    try:
        manage = later.new_page()
        manage.goto(link)
        expect(manage.locator("[data-status]")).to_contain_text("Ended")
        assert "#" not in manage.url  # the secret left the address bar
        expect(manage.locator("dd[data-field=display_name]")).to_have_text("Ada Lovelace")
        recording = manage.locator("article[data-purpose=recording]")
        recording.get_by_role("button", name="Withdraw my consent").click()
        expect(recording.locator(".status")).to_have_text("You withdrew your consent.")
        ledger = mail_org.get(f"/api/v1/calls/{mail_call['id']}/decisions")["items"]
        assert (ledger[-1]["purpose"], ledger[-1]["state"], ledger[-1]["channel"]) == (
            "recording", "withdrawn", "manage")

        with manage.expect_download() as started:
            manage.get_by_role("button", name="Download my data").click()
        saved = tmp_path / started.value.suggested_filename
        started.value.save_as(saved)
        export = json.loads(saved.read_text())
        assert export["fields"]["display_name"] == "Ada Lovelace"
        assert export["state"]["recording"] == "withdrawn"
    finally:
        later.close()


def test_a_bad_address_is_explained_and_nothing_is_sent(
        page: Page, mail_call: dict[str, Any], meeting_site: MeetingSite,
        inbox: Inbox) -> None:
    before = len(inbox.messages())
    page.goto(meeting_site.origin + meeting_site.publish(mail_call["widget"]["snippet"]))
    frame = join(page)
    purpose(frame, "Record this session").get_by_role("button", name="Decline").click()
    purpose(frame, "Email me the notes").get_by_role("button", name="Decline").click()
    frame.get_by_role("button", name="Email me the link").click()
    frame.get_by_label("Email address").fill("not an address")
    frame.get_by_role("button", name="Send the link").click()
    expect(frame.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    time.sleep(0.5)
    assert len(inbox.messages()) == before


def test_without_a_mail_server_only_the_link_is_offered(page: Page, meeting_url: str) -> None:
    page.goto(meeting_url)
    frame = join(page)
    purpose(frame, "Record this session").get_by_role("button", name="Decline").click()
    purpose(frame, "Email me the notes").get_by_role("button", name="Decline").click()
    expect(frame.get_by_role("link", name="Manage my choices later")).to_be_visible()
    expect(frame.get_by_role("button", name="Email me the link")).to_have_count(0)
