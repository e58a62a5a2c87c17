"""Fixtures of the in-process namespace tests (threading mode)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import SECRET, lecture_notice
from widget_server import create_app
from widget_server.domain.models import Base
from widget_server.services import calls, notices, organisations


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET,
                              "ASYNC_MODE": "threading", "INSTANCE_PATH": str(tmp_path)})
    Base.metadata.create_all(application.extensions["widget_db"].engine)
    yield application
    application.extensions["widget_committer"].stop()
    application.extensions["widget_db"].dispose()


@pytest.fixture
def call(app: Flask) -> dict[str, Any]:
    return open_lecture_call(app)


def open_lecture_call(app: Flask) -> dict[str, Any]:
    """A new organisation with the lecture notice and an open call on it."""
    db = app.extensions["widget_db"]
    with db.session() as s:
        org, _ = organisations.create_organisation(s, "Org", ["https://meet.example.org"])
    with db.session() as s:
        notice = notices.publish_notice(s, org, lecture_notice())
    with db.session() as s:
        return calls.open_call(s, org, SECRET, title="T", notice_id=notice["id"])
