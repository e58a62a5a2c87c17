"""A taken port is a clear error (issue 15): `serve` and `demo` never share a port silently."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_cli import Cli
from tests.conftest import fresh_database
from tests.e2e.harness import free_port, running_server


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    with fresh_database(tmp_path) as url:
        yield Cli(tmp_path, url)


@pytest.fixture
def taken() -> Iterator[int]:
    """A port another process listens on (here: a plain socket of the test's)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def test_serve_refuses_a_taken_port_naming_it(cli: Cli, taken: int) -> None:
    done = cli("serve", "--port", str(taken))
    assert done.returncode == 2
    assert f"Port {taken} on 127.0.0.1 is already in use" in done.stderr
    assert "--port" in done.stderr and "Traceback" not in done.stderr


def test_a_second_server_cannot_take_a_running_servers_port(tmp_path: Path) -> None:
    (tmp_path / "first").mkdir()
    with running_server(tmp_path / "first") as first:
        other = Cli(tmp_path, "sqlite:///" + str(tmp_path / "other.db"))
        done = other("serve", "--port", str(first.port))
        assert done.returncode == 2, done.stderr
        assert "already in use" in done.stderr


def test_demo_names_which_of_its_two_ports_is_taken(cli: Cli, taken: int) -> None:
    done = cli("demo", "--port", str(taken))
    assert done.returncode == 2 and "--port" in done.stderr and str(taken) in done.stderr
    # Its meeting page goes on the next port by default: that one taken is named too.
    with socket.socket() as holder:
        for _ in range(20):
            port = free_port()
            try:
                holder.bind(("127.0.0.1", port + 1))
                break
            except OSError:
                continue
        holder.listen()
        done = cli("demo", "--port", str(port))
    assert done.returncode == 2
    assert f"Port {port + 1} on 127.0.0.1 is already in use" in done.stderr
    assert "--meeting-port" in done.stderr


def test_demo_takes_its_meeting_port_from_the_option(cli: Cli, taken: int) -> None:
    done = cli("demo", "--port", str(free_port()), "--meeting-port", str(taken))
    assert done.returncode == 2
    assert f"Port {taken} on 127.0.0.1 is already in use" in done.stderr
    assert "--meeting-port" in done.stderr


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_port_outside_the_range_is_refused(cli: Cli, port: str) -> None:
    done = cli("serve", "--port", port)
    assert done.returncode == 2 and "is not a port" in done.stderr
