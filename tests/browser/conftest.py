"""Browser tests: Debian's headless Chromium driving the widget and the host dashboard.

Two sites, as in production: the consent server at http://127.0.0.1:<port> and a meeting page at
http://localhost:<other port> that embeds the call's snippet. The browser is launched from
/usr/bin/chromium (never `playwright install`); WIDGET_SERVER_CHROMIUM points elsewhere.
"""

import json
import os
import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    WebSocketRoute,
    sync_playwright,
)

from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Server, running_server

CHROMIUM = os.environ.get("WIDGET_SERVER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the CI container runs as root
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium package")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    """A fresh profile. Like a private window, it blocks third-party storage, so the widget
    (a third-party frame on the meeting page) runs without sessionStorage here."""
    ctx = chromium.new_context(locale="en-GB", viewport={"width": 1280, "height": 2200})
    yield ctx
    ctx.close()


SCREENSHOTS = Path(__file__).parent / "screenshots"  # git-ignored


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page that fails the test on any uncaught script error, and is photographed when the
    test fails (tests/browser/screenshots/<test>.png)."""
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and not tab.is_closed():
        SCREENSHOTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    assert errors == [], f"script errors: {errors}"


@pytest.fixture
def storage_context(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A profile that allows third-party storage (a browser's default settings), so the widget
    can keep its resume secret across a reload."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium package")
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(
        {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}))
    ctx = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        locale="en-GB", viewport={"width": 1280, "height": 2200})
    yield ctx
    ctx.close()


# ---------------------------------------------------------------- the meeting page (second site)


class MeetingSite:
    """A tiny web server on another site than the consent server, serving meeting pages.

    Each page embeds a snippet and records the widget's "consent-widget:state" events in
    `window.consentEvents`, as a meeting page's own script would.
    """

    PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1><p id="recording">Recording: unknown</p>
<aside id="consent">{snippet}</aside></main>
<script>
window.consentEvents = [];
document.addEventListener("consent-widget:state", function (event) {{
  window.consentEvents.push(event.detail);
  document.getElementById("recording").textContent =
    "Recording: " + (event.detail.recording_allowed ? "allowed" : "blocked");
}});
</script></body></html>"""

    def __init__(self, host: str = "localhost") -> None:
        self.pages: dict[str, bytes] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.origin = f"http://{host}:{self.port}"
        # The same server under the other name: a different site, for pages the organisation
        # did not list (frame-ancestors must refuse them).
        self.other_origin = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, snippet: str, title: str = "Lecture 4") -> str:
        """Serve a meeting page embedding `snippet`; returns its path (prefix an origin)."""
        path = f"/meeting/{uuid.uuid4().hex}"
        self.pages[path] = self.PAGE.format(title=title, snippet=snippet).encode()
        return path

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def meeting_site() -> Iterator[MeetingSite]:
    site = MeetingSite()
    yield site
    site.stop()


# ---------------------------------------------------------------- the consent server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real `widget-server serve` process (eventlet), one per test module."""
    with running_server(tmp_path_factory.mktemp("browser-server")) as running:
        yield running


@pytest.fixture(scope="module")
def org(server: Server, meeting_site: MeetingSite) -> Org:
    """An organisation whose meeting pages live on the meeting site."""
    return Org(server, origins=(meeting_site.origin,))


@pytest.fixture
def call(org: Org) -> dict[str, Any]:
    """A fresh call on the lecture notice of CONTRACT.md."""
    return org.open_call(lecture_notice())


@pytest.fixture
def meeting_url(call: dict[str, Any], meeting_site: MeetingSite) -> str:
    """The meeting page of `call`, on the organisation's own origin."""
    return meeting_site.origin + meeting_site.publish(call["widget"]["snippet"])


# ---------------------------------------------------------------- helpers


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(frame: Any, server_url: str | None = None) -> list[dict[str, Any]]:
    """Run axe-core (a devDependency, read from node_modules) in `frame`. It is evaluated through
    the browser's debugging protocol, which the pages' CSP does not govern, so the product never
    serves it. `server_url` is unused (kept for the callers that name the server)."""
    if not frame.evaluate("() => typeof window.axe === 'object'"):
        frame.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    violations: list[dict[str, Any]] = frame.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => ({id: v.id, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary)}));
        }""",
        AXE_TAGS,
    )
    return violations


def record_socket(context: BrowserContext) -> tuple[list[str], list[WebSocketRoute]]:
    """Pass every Socket.IO websocket through, keeping what the pages send and each route."""
    sent: list[str] = []
    routes: list[WebSocketRoute] = []

    def handle(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()
        routes.append(ws)

        def outgoing(message: str | bytes) -> None:
            sent.append(message if isinstance(message, str) else message.decode())
            upstream.send(message)

        ws.on_message(outgoing)

    context.route_web_socket(re.compile(r".*/socket\.io/.*"), handle)
    return sent, routes
