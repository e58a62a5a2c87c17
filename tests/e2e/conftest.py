"""A real server process per test module (eventlet unless a test asks otherwise)."""

from collections.abc import Iterator

import pytest

from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Server, running_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture(scope="module")
def org(server: Server) -> Org:
    return Org(server)


@pytest.fixture
def call(org: Org) -> dict:
    return org.open_call(lecture_notice())
