"""`widget-server rotate-signing-key` and `verify-receipt FILE`, run as an operator runs them."""

import base64
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.cli.test_cli import Cli, populate, sql
from tests.conftest import fresh_database
from tests.services.test_receipts import jose_verify
from widget_server.services import receipts
from widget_server.services.database import Database
from widget_server.services.signing_keys import KeyStore


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    with fresh_database(tmp_path) as url:
        runner = Cli(tmp_path, url)
        assert runner("db", "upgrade").returncode == 0
        yield runner


def keys(cli: Cli) -> KeyStore:
    return KeyStore(cli.folder / "instance" / "signing_key.json")


def receipt_of(cli: Cli) -> tuple[dict[str, Any], str]:
    """A call's first participant's last receipt, signed with the instance's key now."""
    made = populate(cli.url)
    db = Database(cli.url)
    with db.read_session() as s:
        rid = s.execute(text(
            "SELECT id FROM receipt WHERE participant_id = :p ORDER BY seq DESC"),
            {"p": made["people"][0]}).scalars().first()
        token = receipts.signed_receipt(s, keys(cli).ring(), made["people"][0], rid,
                                        "https://consent.example.org")
    db.dispose()
    return made, token


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def test_verify_receipt_exits_0_for_a_good_receipt_either_way_it_is_kept(cli: Cli) -> None:
    _, token = receipt_of(cli)
    ran = cli("verify-receipt", write(cli.folder, "r.jws", token + "\n"))
    assert ran.returncode == 0, ran.stderr
    assert "Receipt valid" in ran.stdout
    jwks = json.loads((cli.folder / "instance" / "signing_key.json").read_text())
    payload = jose_verify(token, {"keys": [{k: v for k, v in jwks["signing"].items()
                                            if k != "d"}]})
    download = write(cli.folder, "r.json", json.dumps({"jws": token, "payload": payload}))
    assert cli("verify-receipt", download).returncode == 0


def test_verify_receipt_exits_1_naming_what_fails(cli: Cli) -> None:
    made, token = receipt_of(cli)
    header, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    cases = {
        "tampered-signature": (".".join([header, body, signature[::-1]]), "signature"),
        "foreign": ("a.b.c", "signature"),
        "copy-edited": (json.dumps({"jws": token, "payload": {**payload, "call_id": "x"}}),
                        "payload"),
        "not-json": ("{nope", "neither a JWS"),
    }
    for name, (content, named) in cases.items():
        ran = cli("verify-receipt", write(cli.folder, name, content))
        assert ran.returncode == 1, name
        assert "Receipt NOT valid" in ran.stderr and named in ran.stderr, (name, ran.stderr)
    missing = cli("verify-receipt", str(cli.folder / "no-such-file"))
    assert missing.returncode != 0

    seq = payload["ledger"]["seq"]
    good = write(cli.folder, "good.jws", token)
    sql(cli.url, f"UPDATE decision_event SET channel = 'api' WHERE call_id = '{made['call']}' "
                 f"AND seq = {seq}")
    ran = cli("verify-receipt", good)
    assert ran.returncode == 1 and f"seq {seq}" in ran.stderr and "edited" in ran.stderr
    sql(cli.url, f"DELETE FROM decision_event WHERE call_id = '{made['call']}' AND seq = {seq}")
    ran = cli("verify-receipt", good)
    assert ran.returncode == 1 and "deleted" in ran.stderr


def test_rotation_keeps_old_receipts_verifying_and_old_keys_listed(cli: Cli) -> None:
    _, old = receipt_of(cli)
    path = cli.folder / "instance" / "signing_key.json"
    before = json.loads(path.read_text())["signing"]["kid"]
    ran = cli("rotate-signing-key")
    assert ran.returncode == 0, ran.stderr
    document = json.loads(path.read_text())
    assert document["signing"]["kid"] != before
    assert [k["kid"] for k in document["retired"]] == [before]
    assert all("d" not in k for k in document["retired"])  # a retired key cannot sign
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert document["signing"]["kid"] in ran.stdout
    assert cli("verify-receipt", write(cli.folder, "old.jws", old)).returncode == 0
    # Signed after the rotation: the new key, and it verifies too.
    new = receipts_now(cli)
    assert json.loads(base64.urlsafe_b64decode(
        new.split(".")[0] + "=="))["kid"] == document["signing"]["kid"]
    assert cli("verify-receipt", write(cli.folder, "new.jws", new)).returncode == 0


def receipts_now(cli: Cli) -> str:
    db = Database(cli.url)
    with db.read_session() as s:
        rid, pid = s.execute(text(
            "SELECT id, participant_id FROM receipt ORDER BY seq")).first()
        token = receipts.signed_receipt(s, keys(cli).ring(), pid, rid, "https://x.example")
    db.dispose()
    return token


def test_verify_ledger_catches_a_consistent_rewrite_and_a_deleted_final_checkpoint(
        cli: Cli) -> None:
    from tests.services.support import World
    from tests.services.test_checkpoints import rewrite_consistently
    from widget_server.services import calls

    made = populate(cli.url)
    db = Database(cli.url)
    with db.session() as s:
        calls.end_call(s, made["org"], made["call"], keys(cli).ring())
    assert cli("verify-ledger").returncode == 0
    rewrite_consistently(World(db), made["call"], 2, "denied")  # every hash recomputed
    db.dispose()
    ran = cli("verify-ledger")
    assert ran.returncode == 1
    assert f"call {made['call']}, event seq 8" in ran.stderr  # the final checkpoint's seq
    assert "signed checkpoint" in ran.stderr

    sql(cli.url, "DELETE FROM checkpoint")
    ran = cli("verify-ledger", "--call", made["call"])
    assert ran.returncode == 1 and f"call {made['call']}" in ran.stderr
    assert "final signed checkpoint is missing" in ran.stderr
