"""Real server processes for the abuse suite: each test module gets its own, on loopback."""

import resource
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import fresh_database, lecture_notice
from tests.e2e.harness import Org, Server

pytestmark = pytest.mark.abuse


def descriptor_limit(limit: int) -> Callable[[], None]:
    """A preexec_fn: the server process may hold at most `limit` descriptors (soft and hard,
    so the server cannot lift it)."""

    def lower() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return lower


@contextmanager
def abuse_server(folder: Path, env: dict[str, str] | None = None,
                 preexec: Callable[[], None] | None = None) -> Iterator[Server]:
    with fresh_database(folder) as url:
        server = Server(folder, url, extra_env=env)
        server.preexec = preexec
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with abuse_server(tmp_path_factory.mktemp("abuse")) as running:
        yield running


@pytest.fixture(scope="module")
def org(server: Server) -> Org:
    return Org(server)


@pytest.fixture
def call(org: Org) -> dict:
    return org.open_call(lecture_notice())
