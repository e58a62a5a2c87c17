"""The API reference (/api/docs) and the start page (/) in Chromium, against a real server:
Swagger UI renders the OpenAPI document from files this server serves, under the pages'
strict CSP, and no request leaves for another host (issue 15 item 4, CONTRACT §F)."""

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import axe_violations
from tests.e2e.harness import Server

pytestmark = pytest.mark.browser

# Every security policy violation, as the page sees it (CSP cannot block this init script).
WATCH_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI + " " +
                            (event.sample || ""));
});
"""


def record_requests(context: BrowserContext) -> list[str]:
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    return urls


def own_host(urls: list[str], server: Server) -> list[str]:
    """The requests that went anywhere but the server (data: URLs are no requests)."""
    home = urlsplit(server.url).netloc
    return [u for u in urls if not u.startswith("data:") and urlsplit(u).netloc != home]


def test_the_api_reference_renders_every_endpoint_from_this_server_only(
        context: BrowserContext, page: Page, server: Server) -> None:
    urls = record_requests(context)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(WATCH_CSP)
    response = page.goto(f"{server.url}/api/docs")
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Consent widget server")
    # Every tag (notices, calls, …) and their operations are listed.
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    for wanted in ("/api/v1/notices", "/api/v1/calls/{call_id}/gate", "/api/v1/me",
                   "/api/v1/organisation"):
        assert any(wanted in p.replace("\u200b", "") for p in paths), wanted
    # An operation opens with its responses: the errors in the problem format.
    page.locator(".opblock-summary-path", has_text="/api/v1/calls/{call_id}/gate").first.click()
    expect(page.locator(".responses-table").first).to_contain_text("429")
    expect(page.locator(".responses-table").first).to_contain_text("application/problem+json")
    assert page.evaluate("window.cspViolations") == []
    assert not [c for c in console if "Content Security Policy" in c]
    assert own_host(urls, server) == [], own_host(urls, server)
    assert f"{server.url}/static/vendor/swagger-ui-bundle.js" in urls
    assert f"{server.url}/api/openapi.json" in urls
    # No validator badge: the document is not sent anywhere to be checked.
    assert not page.locator("img[src*='validator']").count()


def test_the_start_page_points_to_the_docs_and_the_health_endpoints(
        context: BrowserContext, page: Page, server: Server) -> None:
    urls = record_requests(context)
    page.add_init_script(WATCH_CSP)
    response = page.goto(f"{server.url}/")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", level=1)).to_have_text("Consent widget server")
    links: dict[str, Any] = {a.inner_text().strip(): a.get_attribute("href")
                             for a in page.locator("main a").all()}
    assert links["API reference"] == "/api/docs"
    assert links["AsyncAPI document"] == "/api/asyncapi.json"
    assert links["Signing keys (JWKS)"] == "/.well-known/jwks.json"
    assert links["/healthz"] == "/healthz" and links["/readyz"] == "/readyz"
    assert links["OpenAPI document"] == "/api/openapi.json"
    assert axe_violations(page) == []
    page.get_by_role("link", name="API reference").click()
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    assert page.evaluate("window.cspViolations") == []
    assert own_host(urls, server) == []
