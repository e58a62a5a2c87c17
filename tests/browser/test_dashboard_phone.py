"""The host dashboard shows dial-in callers (CONTRACT §E): the phone channel with a handset, the
masked label in the host's language, live as the bridge reports their keys."""

from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.browser.conftest import axe_violations
from tests.e2e.harness import Org, Server
from tests.phone_support import phone_notice

pytestmark = pytest.mark.browser

WORDS = {"en-GB": ("Phone", "Phone ••56"), "de-DE": ("Telefon", "Telefon ••56"),
         "fr-FR": ("Téléphone", "Téléphone ••56"), "es-ES": ("Teléfono", "Teléfono ••56"),
         "nl-NL": ("Telefoon", "Telefoon ••56")}


def bridge(server: Server, org: Org, call: dict[str, Any]) -> requests.Session:
    grant = org.post(f"/api/v1/calls/{call['id']}/grants",
                     {"purpose": None, "role": "telephony", "name": "Phone bridge"})
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {grant['token']}"
    return http


@pytest.mark.parametrize("locale", list(WORDS))
def test_a_caller_is_shown_with_the_phone_channel_and_masked_label(
        chromium: Browser, server: Server, org: Org, locale: str) -> None:
    call = org.open_call(phone_notice())
    phone = bridge(server, org, call)
    context = chromium.new_context(locale=locale, viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    try:
        page.goto(call["host"]["url"])
        expect(page.locator("#connection")).to_have_class("connection connection--live")
        base = server.url + "/api/v1/phone/participants"
        joined = phone.post(base, json={"caller": "+49 30 901820 56", "language": "de"},
                            timeout=10).json()
        word, label = WORDS[locale]
        row = page.locator("#roster-body tr", has_text=label)
        expect(row).to_have_count(1)
        channel = row.locator(".cell-channel .cell-text")
        expect(channel).to_have_text(word)
        expect(channel).to_have_class("cell-text channel--phone")
        icon = channel.evaluate("n => getComputedStyle(n, '::before').content")
        assert "☎" in icon
        steps = phone.get(f"{base}/{joined['id']}/script", timeout=10).json()["steps"]
        answered = phone.post(f"{base}/{joined['id']}/keys",
                              json={"step": steps[1]["id"], "digits": "1"}, timeout=10)
        assert answered.json()["recorded"] == {"recording": "granted"}
        expect(row.locator(".badge--granted")).to_have_count(1)
        if locale == "en-GB":
            assert axe_violations(page, server.url) == []
    finally:
        context.close()
