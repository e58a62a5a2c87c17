"""A real server process per test module (eventlet unless a test asks otherwise)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import fresh_database, lecture_notice
from tests.e2e.harness import Org, Server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder: Path = tmp_path_factory.mktemp("server")
    with fresh_database(folder) as url:
        running = Server(folder, url).start()
        yield running
        running.stop()


@pytest.fixture(scope="module")
def org(server: Server) -> Org:
    return Org(server)


@pytest.fixture
def call(org: Org) -> dict:
    return org.open_call(lecture_notice())
