"""GET /.well-known/jwks.json (CONTRACT §B): the public keys, as JSON whatever is asked."""

import stat
from pathlib import Path

import pytest
from flask import Flask

from tests.api.conftest import make_app

ACCEPTS = [None, "application/json", "text/html", "application/xml", "*/*", "image/png",
           "application/jwk-set+json;q=0.1, text/plain", "garbage;;;q=x", ""]


@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_jwks_answers_json_whatever_the_accept_header(app: Flask, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = app.test_client().get("/.well-known/jwks.json", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    [key] = response.get_json()["keys"]
    assert {key["kty"], key["crv"], key["alg"], key["use"]} == {"OKP", "Ed25519", "EdDSA", "sig"}
    assert set(key) == {"kty", "crv", "x", "kid", "alg", "use"}  # never the private "d"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_key_file_is_made_once_owner_only_and_kept(database_url: str, tmp_path: Path
                                                       ) -> None:
    first = make_app(database_url, tmp_path)
    path = Path(first.config["SIGNING_KEY_FILE"])
    assert path.parent == tmp_path and stat.S_IMODE(path.stat().st_mode) == 0o600
    kid = first.test_client().get("/.well-known/jwks.json").get_json()["keys"][0]["kid"]
    first.extensions["widget_db"].dispose()
    again = make_app(database_url, tmp_path)
    assert again.test_client().get("/.well-known/jwks.json").get_json()["keys"][0]["kid"] == kid
    again.extensions["widget_db"].dispose()


def test_a_configured_key_file_is_used_and_a_rotation_shows_at_once(
        database_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "signing.json"
    app = make_app(database_url, tmp_path / "instance", SIGNING_KEY_FILE=str(key_file))
    assert key_file.exists() and not (tmp_path / "instance" / "signing_key.json").exists()
    client = app.test_client()
    before = client.get("/.well-known/jwks.json").get_json()["keys"]
    ring = app.extensions["widget_keys"].rotate()
    after = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert [k["kid"] for k in after] == [ring.kid, before[0]["kid"]]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    app.extensions["widget_db"].dispose()


def test_processes_sharing_a_queue_are_warned_to_share_one_key_file(tmp_path: Path) -> None:
    from widget_server import config

    def loaded(**overrides: str) -> Flask:
        app = Flask(__name__, instance_path=str(tmp_path / "instance"))
        config.load(app, {"ASYNC_MODE": "threading", **overrides})
        return app

    queue = "redis://127.0.0.1:1/0"
    assert config.serving_warning(loaded(MESSAGE_QUEUE=queue)) == "signing_key_per_process"
    shared = loaded(MESSAGE_QUEUE=queue, SIGNING_KEY_FILE=str(tmp_path / "shared.json"))
    assert config.serving_warning(shared) is None
    assert config.serving_warning(loaded()) is None  # one process: its own key is right
