"""The REST API through Flask's test client, on the database of tests/conftest.py."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import SECRET, lecture_notice
from widget_server import create_app
from widget_server.domain.models import Base
from widget_server.services import organisations

PROBLEM = "application/problem+json"


def make_app(database_url: str, tmp_path: Path, **extra: Any) -> Flask:
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET,
                      "ASYNC_MODE": "threading", "INSTANCE_PATH": str(tmp_path), **extra})
    Base.metadata.create_all(app.extensions["widget_db"].engine)
    return app


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path)
    yield app
    app.extensions["widget_db"].dispose()


class Api:
    """A client acting as one organisation: JSON in, (status, body) out."""

    def __init__(self, client: FlaskClient, key: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        if body is not None:
            kwargs["json"] = body
        return self.client.post(path, headers=self.headers, **kwargs)

    def notice(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post("/api/v1/notices", body or lecture_notice())
        assert response.status_code == 201, response.get_json()
        return dict(response.get_json())

    def call(self, notice_id: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"title": "Lecture 1", "notice_id": notice_id or self.notice()["id"], **fields}
        response = self.post("/api/v1/calls", body)
        assert response.status_code == 201, response.get_json()
        return dict(response.get_json())


def new_org(app: Flask, name: str = "Example University") -> tuple[str, str]:
    with app.extensions["widget_db"].session() as session:
        return organisations.create_organisation(session, name, ["https://meet.example.org"])


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client(), new_org(app)[1])


@pytest.fixture
def other(app: Flask) -> Api:
    """A second organisation, whose ids the first must not see."""
    return Api(app.test_client(), new_org(app, "Other Org")[1])


@pytest.fixture
def anonymous(app: Flask) -> Api:
    return Api(app.test_client(), None)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return dict(body)
