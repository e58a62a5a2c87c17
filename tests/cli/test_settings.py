"""Every setting is checked at start (issue 15): a bad value stops `serve` with exit status 2
and a message naming the variable; the README's table lists exactly the settings there are."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import free_port
from widget_server.config import DEFAULTS
from widget_server.settings import RULES, SECRET

README = Path(__file__).resolve().parents[2] / "README.md"
# Read before the configuration is (it says where the instance folder is), so not in DEFAULTS.
READ_EARLIER = {"INSTANCE_PATH"}

# One value each setting refuses. A new setting needs a line here (the test below says so).
BAD: dict[str, str] = {
    "DATABASE_URL": "mysql://root@127.0.0.1/db",
    "SECRET_KEY": "short-secret",
    "SIGNING_KEY_FILE": "bad\nname",
    "CHECKPOINT_INTERVAL": "0",
    "PUBLIC_URL": "consent.example.edu",
    "MESSAGE_QUEUE": "amqp://guest@127.0.0.1",
    "ASYNC_MODE": "asyncio",
    "MAX_CONTENT_LENGTH": "12",
    "SOCKET_MAX_MESSAGE": "lots",
    "SOCKET_RATE": "0",
    "SOCKET_BURST": "1.5",
    "HOST_BATCH_WINDOW": "-1",
    "PURGE_INTERVAL": "hourly",
    "MAX_CONNECTIONS": "3",
    "GC_POLICY": "maybe",
    "BACKLOG": "70000",
    "COMMIT_TIMEOUT": "0",
    "MAX_PARTICIPANTS_PER_CALL": "-5",
    "PRESENCE_CHECK": "NaN",
    "HEADER_TIMEOUT": "forever",
    "SOCKET_TIMEOUT": "-3",
    "RATE_LIMITS": "2",
    "API_RATE_LIMIT": "fast",
    "AUTH_FAILURE_LIMIT": "20 per fortnight",
    "SOURCE_CONNECT_RATE": "-1",
    "SOURCE_CONNECT_BURST": "0",
    "TRUSTED_PROXY_HOPS": "11",
    "READY_MIN_FREE_BYTES": "-1",
    "MAX_CALL_HOURS": "0",
    "SMTP_URL": "smtp://user:password@mail.example.org",
    "SMTP_FROM": "",
    "SMTP_CA_FILE": "/nonexistent/ca.pem",
    "SMTP_TIMEOUT": "0",
    "MANAGE_LINKS_PER_HOUR": "0",
    "METRICS": "sometimes",
    "METRICS_PORT": "99999",
    "METRICS_HOST": "",
    "STATS_MIN_COUNT": "1",
    "ALLOW_HTTP_WEBHOOKS": "perhaps",
    "WEBHOOK_TIMEOUT": "0",
    "WEBHOOK_BACKOFF": "5,soon,120",
    "WEBHOOK_RETRY_WINDOW": "0",
    "WEBHOOK_POLL": "0.001",
    "WEBHOOK_CA_FILE": "/nonexistent/webhook-ca.pem",
}


def readme_settings() -> set[str]:
    table = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1]))
    return names


def test_every_setting_has_a_rule_and_a_bad_value_here() -> None:
    assert set(RULES) == set(DEFAULTS)
    assert set(BAD) == set(DEFAULTS), "add a refused value for each new setting to BAD"


def test_the_readme_table_lists_exactly_the_settings() -> None:
    assert readme_settings() == set(DEFAULTS) | READ_EARLIER


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_value_stops_serve_with_exit_2_naming_the_variable(name: str, tmp_path: Path
                                                                 ) -> None:
    env = {"PATH": "/usr/bin:/bin", "WIDGET_SERVER_INSTANCE_PATH": str(tmp_path / "instance"),
           f"WIDGET_SERVER_{name}": BAD[name]}
    done = subprocess.run([sys.executable, "-m", "widget_server.entry", "serve", "--port",
                           str(free_port())], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"WIDGET_SERVER_{name} must be" in done.stderr
    assert "Traceback" not in done.stderr
    if name in SECRET:
        assert BAD[name] not in done.stderr  # a key or a password is never echoed
