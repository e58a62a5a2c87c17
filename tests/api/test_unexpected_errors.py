"""An unexpected error (issue 15): a 500 in the problem format with an incident id, and a log
line a developer can use (the exception's type and the frames) with nothing of the request."""

import json
import re
from pathlib import Path

import pytest
from flask import Flask

from tests.api.conftest import make_app

CANARY = "ada.lovelace-5e1f@example.org"


def broken(app: Flask) -> Flask:
    def fails(anything: str) -> str:
        secret_local = CANARY  # a local value the traceback must not show
        raise ValueError(f"could not use {secret_local}")

    app.add_url_rule("/broken/<path:anything>", "broken", fails)
    return app


def test_a_500_names_an_incident_and_the_log_has_frames_but_no_request_data(
        database_url: str, tmp_path: Path, capfd: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    app = broken(make_app(database_url, tmp_path))
    try:
        response = app.test_client().get(f"/broken/{CANARY}?email={CANARY}",
                                         headers={"X-Note": CANARY})
    finally:
        app.extensions["widget_db"].dispose()
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "internal_error" and re.fullmatch(r"[0-9a-f]{12}", body["incident"])
    assert CANARY not in json.dumps(body)

    out, err = capfd.readouterr()
    assert CANARY not in out + err + caplog.text
    [line] = [json.loads(record.getMessage()) for record in caplog.records
              if '"unhandled_error"' in record.getMessage()]
    assert line["error"] == "ValueError" and line["incident"] == body["incident"]
    assert line["endpoint"] == "broken"
    assert any(frame.startswith("test_unexpected_errors.py:") and frame.endswith(" fails")
               for frame in line["frames"])
