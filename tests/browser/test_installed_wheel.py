"""The product as a wheel (DESIGN §5): built with `pip wheel`, installed in a fresh virtual
environment, run from a folder with no checkout and no node_modules, it serves everything the
browser needs: the demo works end to end in Chromium, and create-org works (migrations ship)."""

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import BrowserContext, expect

from tests.browser.test_demo import check_demo, running_demo

pytestmark = pytest.mark.browser
TOP = Path(__file__).resolve().parents[2]


def run(*command: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The `widget-server` program of a fresh venv holding only the wheel and its dependencies
    (pip takes those from its cache or index, as a user's install would)."""
    folder = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", TOP, "-w", folder / "dist", "--no-deps", "-q")
    [wheel] = (folder / "dist").glob("widget_server-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("widget_server/templates/widget.html", "widget_server/templates/host.html",
                   "widget_server/static/widget/main.js", "widget_server/static/widget.js",
                   "widget_server/static/dashboard/main.js", "widget_server/static/i18n/de.json",
                   "widget_server/static/vendor/socket.io.esm.min.js",
                   "widget_server/static/vendor/swagger-ui-bundle.js",
                   "widget_server/static/vendor/swagger-ui.css",
                   "widget_server/static/apidocs/main.js",
                   "widget_server/templates/api_docs.html", "widget_server/templates/home.html",
                   "widget_server/migrations/env.py"):
        assert needed in names, f"the wheel lacks {needed}"
    assert any(n.startswith("widget_server/migrations/versions/") for n in names)
    run(sys.executable, "-m", "venv", folder / "venv")
    run(folder / "venv" / "bin" / "pip", "install", "-q", wheel)
    yield folder / "venv" / "bin" / "widget-server"


def clean_env(home: Path) -> dict[str, str]:
    """No WIDGET_SERVER_ settings, no PYTHONPATH: nothing points back at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("WIDGET_SERVER_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["HOME"] = str(home)
    return env


def test_the_installed_wheel_runs_the_demo_in_the_browser(
        installed: Path, tmp_path: Path, context: BrowserContext) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert not (elsewhere / "node_modules").exists() and not (elsewhere / "static").exists()
    with running_demo([str(installed)], elsewhere, clean_env(tmp_path)) as demo:
        # What it serves comes from the installed package, not from this checkout.
        served = requests.get(f"{demo['server']}/static/vendor/socket.io.esm.min.js", timeout=5)
        assert served.status_code == 200
        assert served.content == (TOP / "static/vendor/socket.io.esm.min.js").read_bytes()
        check_demo(context, demo)
        # The API reference renders from the wheel's own copy of Swagger UI.
        reference = context.new_page()
        reference.goto(f"{demo['server']}/api/docs")
        expect(reference.locator(".opblock-summary-path").first).to_be_visible()
        assert requests.get(f"{demo['server']}/", timeout=5).status_code == 200


def test_the_installed_wheel_creates_an_organisation(installed: Path, tmp_path: Path) -> None:
    out = run(installed, "create-org", "Example University", "--origin",
              "https://meet.example.edu", "--json", cwd=tmp_path)
    created = json.loads(out)
    assert created["organisation_id"] and created["api_key"]
