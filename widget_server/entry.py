"""The console script. For `serve` and `demo` it picks the concurrency library and
monkey-patches it BEFORE anything else is imported (DESIGN §5); nothing else imports eventlet
or gevent.
"""

import os
import sys
from typing import Any

SERVING = ("serve", "demo")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    mode = os.environ.get("WIDGET_SERVER_ASYNC_MODE", "eventlet")
    runner = None
    if args and args[0] in SERVING:
        patch(mode)
        runner = run_eventlet if mode == "eventlet" else None
    from widget_server.cli import cli
    from widget_server.settings import BadSetting

    try:
        cli.main(args=args, prog_name="widget-server",
                 obj={"runner": runner, "open_files": raise_open_files_limit()})
    except BadSetting as err:  # a setting that cannot work: say which, exit 2
        print(f"widget-server: {err.message}", file=sys.stderr)
        sys.exit(2)


def run_eventlet(app: Any, host: str, port: int) -> None:
    """eventlet's own WSGI server, with limits far above its defaults (1024 connections and a
    backlog of 50, which dropped half of a 2,000-person lecture in measurements) and timeouts
    for clients that never finish asking (see edge_server)."""
    from widget_server import edge_server

    edge_server.run(app, host, port)


def patch(mode: str) -> None:
    if mode == "eventlet":
        import warnings

        with warnings.catch_warnings():
            # eventlet announces its deprecation (an EventletDeprecationWarning, a plain
            # Warning) on import; the README says what it means and how to switch to gevent.
            warnings.simplefilter("ignore")
            import eventlet

        eventlet.monkey_patch()
        import eventlet.tpool
        import eventlet.websocket

        from widget_server import offload

        # SQLite's C calls block the hub while they wait: the live committer runs them in a
        # real OS thread instead (see widget_server/offload.py).
        offload.use(eventlet.tpool.execute)

        # eventlet unmasks every incoming WebSocket frame one byte at a time in Python (a few
        # per cent of the server's CPU under load); this does the same XOR in one big-int step.
        eventlet.websocket.RFC6455WebSocket._apply_mask = staticmethod(unmask)
        try:
            from psycogreen.eventlet import patch_psycopg

            patch_psycopg()  # PostgreSQL queries yield to other green threads
        except ImportError:  # pragma: no cover
            pass
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
        try:
            from psycogreen.gevent import patch_psycopg as patch_gevent_psycopg

            patch_gevent_psycopg()
        except ImportError:  # pragma: no cover
            pass


def unmask(data: bytes, mask: bytes, length: int | None = None, offset: int = 0) -> bytes:
    """XOR `data` with the 4-byte WebSocket `mask`, starting `offset` bytes into the mask's
    cycle (the same contract as eventlet's RFC6455WebSocket._apply_mask)."""
    if length is None:
        length = len(data)
    if length == 0:
        return b""
    shift = offset % 4
    key = (bytes(mask[shift:]) + bytes(mask[:shift])) * (length // 4 + 1)
    payload = int.from_bytes(bytes(data[:length]), "big")
    return (payload ^ int.from_bytes(key[:length], "big")).to_bytes(length, "big")


def raise_open_files_limit() -> int:
    """Lift the soft open-files limit to the hard one: every socket is a file."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = hard if hard != resource.RLIM_INFINITY else 65536
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return wanted
    return soft


if __name__ == "__main__":  # pragma: no cover
    main()
