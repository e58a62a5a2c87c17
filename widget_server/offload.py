"""Where blocking database work runs, chosen by the entry point (DESIGN §5).

The sqlite3 C calls block eventlet's hub while they wait for the write lock or the disk: with
them on the hub, /healthz timed out for 15 s while another process held SQLite's lock. Under
eventlet the entry point installs eventlet.tpool.execute here, so that work runs in a real OS
thread while the hub serves everyone else. Without it (threading mode, tests, one-off commands)
the work runs where it is called.
"""

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_runner: Callable[..., Any] | None = None


def use(runner: Callable[..., Any] | None) -> None:
    """Install the function that runs blocking work off the event loop (None: run inline)."""
    global _runner
    _runner = runner


def run(work: Callable[..., T], *args: Any) -> T:
    """Run `work(*args)` off the event loop when a runner is installed; return its result and
    raise its exception either way."""
    if _runner is None:
        return work(*args)
    result: T = _runner(work, *args)
    return result


def installed() -> bool:
    return _runner is not None
