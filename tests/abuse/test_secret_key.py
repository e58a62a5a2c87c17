"""Several processes need one SECRET_KEY: `serve` with a message queue and none refuses.

Before: each process made its own key in its instance folder, and rejected the tokens the
others issued, with no word of why.
"""

import os
import subprocess
from pathlib import Path

from tests.e2e.harness import CLI, free_port


def serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_SERVER_")}
    environment.update({"WIDGET_SERVER_INSTANCE_PATH": str(tmp_path / "instance"),
                        "WIDGET_SERVER_DATABASE_URL": f"sqlite:///{tmp_path / 'widget.db'}",
                        **env})
    return subprocess.run([*CLI, "serve", "--port", str(free_port())], env=environment,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)


def test_a_message_queue_without_a_secret_key_refuses_to_serve(tmp_path: Path) -> None:
    # Nothing listens on port 1: the refusal comes before any connection to the queue.
    done = serve(tmp_path, WIDGET_SERVER_MESSAGE_QUEUE="redis://127.0.0.1:1/0")
    assert done.returncode == 2, done.stderr[-500:]
    assert "WIDGET_SERVER_SECRET_KEY" in done.stderr
    assert "share one secret key" in done.stderr
    assert '"event": "serving"' not in done.stderr


def test_one_process_without_a_queue_still_makes_its_own_key(tmp_path: Path) -> None:
    # Without a queue the instance key is right: a lone process shares tokens with nobody.
    # `serve` would run until stopped, so this checks the one-off path that loads the same
    # configuration: the key file is made once and kept.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_SERVER_")}
    environment["WIDGET_SERVER_INSTANCE_PATH"] = str(tmp_path / "instance")
    subprocess.run([*CLI, "db", "upgrade"], env=environment, cwd=tmp_path, check=True,
                   capture_output=True, timeout=60)
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600
