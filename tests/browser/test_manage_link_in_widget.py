"""The widget's way to manage choices later (issue 12): the manage link, and the same link by
email through a real SMTP server on loopback; the address typed is forgotten once sent."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from tests.browser.conftest import MeetingSite
from tests.browser.test_widget import join, purpose
from tests.conftest import fresh_database, lecture_notice
from tests.e2e.harness import Org, Server, free_port
from tests.sockets.test_manage_link import Inbox

pytestmark = pytest.mark.browser

ADDRESS = "grace.canary-91c2@example.org"


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    mailbox, port = Inbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory, inbox: tuple[Inbox, int]
                ) -> Iterator[Server]:
    folder: Path = tmp_path_factory.mktemp("mail-server")
    with fresh_database(folder) as url:
        server = Server(folder, url, extra_env={
            "WIDGET_SERVER_SMTP_URL": f"smtp://127.0.0.1:{inbox[1]}"}).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def mail_call(mail_server: Server, meeting_site: MeetingSite) -> dict[str, Any]:
    return Org(mail_server, origins=(meeting_site.origin,)).open_call(lecture_notice())


def test_the_manage_link_is_offered_and_sent_by_email(
        page: Page, mail_server: Server, mail_call: dict[str, Any], meeting_site: MeetingSite,
        inbox: tuple[Inbox, int]) -> None:
    page.goto(meeting_site.origin + meeting_site.publish(mail_call["widget"]["snippet"]))
    frame = join(page)
    purpose(frame, "Record this session").get_by_role("button", name="Accept").click()
    purpose(frame, "Email me the notes").get_by_role("button", name="Decline").click()
    expect(frame.get_by_role("heading", name="Your choices")).to_be_visible()

    link = frame.get_by_role("link", name="Manage my choices later")
    href = link.evaluate("a => a.href")  # absolute, as the browser resolves it
    assert href.startswith(f"{mail_server.url}/manage/p_")
    assert "#key=" in href and "?" not in href

    frame.get_by_role("button", name="Email me the link").click()
    field = frame.get_by_label("Email address")
    expect(field).to_be_focused()
    field.fill(ADDRESS)
    frame.get_by_role("button", name="Send the link").click()
    expect(frame.locator("[data-key=manage-status]")).to_have_text(
        "The link is on its way to your inbox.")
    expect(frame.get_by_label("Email address")).to_have_count(0)  # the form and address gone

    [message] = inbox[0].messages()
    assert message["To"] == ADDRESS
    assert href in message.get_content()
    assert ADDRESS not in mail_server.log()

    # The link opens the participant's own manage page, the secret gone from its address.
    with page.context.expect_page() as opened:
        link.click()
    manage = opened.value
    expect(manage.locator("dd[data-field=display_name]")).to_have_text("Ada Lovelace")
    assert "#" not in manage.url


def test_a_bad_address_is_explained_and_nothing_is_sent(
        page: Page, mail_call: dict[str, Any], meeting_site: MeetingSite,
        inbox: tuple[Inbox, int]) -> None:
    before = len(inbox[0].envelopes)
    page.goto(meeting_site.origin + meeting_site.publish(mail_call["widget"]["snippet"]))
    frame = join(page)
    purpose(frame, "Record this session").get_by_role("button", name="Decline").click()
    purpose(frame, "Email me the notes").get_by_role("button", name="Decline").click()
    frame.get_by_role("button", name="Email me the link").click()
    frame.get_by_label("Email address").fill("not an address")
    frame.get_by_role("button", name="Send the link").click()
    expect(frame.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    assert len(inbox[0].envelopes) == before


def test_without_a_mail_server_only_the_link_is_offered(page: Page, meeting_url: str) -> None:
    page.goto(meeting_url)
    frame = join(page)
    purpose(frame, "Record this session").get_by_role("button", name="Decline").click()
    purpose(frame, "Email me the notes").get_by_role("button", name="Decline").click()
    expect(frame.get_by_role("link", name="Manage my choices later")).to_be_visible()
    expect(frame.get_by_role("button", name="Email me the link")).to_have_count(0)
