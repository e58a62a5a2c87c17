"""Fixtures for service tests (no Flask): a World over the test database, and a lecture call."""

import pytest

from tests.services.support import Lecture, World
from widget_server.services.database import Database


@pytest.fixture
def world(db: Database) -> World:
    return World(db)


@pytest.fixture
def lecture(world: World) -> Lecture:
    """The contract's lecture notice, published by one organisation, with one open call."""
    return Lecture(world)
