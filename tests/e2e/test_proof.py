"""Proof the participant keeps (CONTRACT §B) on a real server: the periodic checkpoint pass,
a receipt over a real socket verified from the served JWKS, and verify-ledger / verify-receipt
against the running server's own key file."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import fresh_database, lecture_notice
from tests.e2e.harness import Org, Participant, Server
from tests.services.test_receipts import jose_verify


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("proof")
    with fresh_database(folder) as url:
        server = Server(folder, url, extra_env={"WIDGET_SERVER_CHECKPOINT_INTERVAL": "1"})
        server.start()
        try:
            yield server
        finally:
            server.stop()


def test_a_live_ledger_is_checkpointed_and_a_receipt_verifies(fast: Server, tmp_path: Path
                                                              ) -> None:
    org = Org(fast)
    call = org.open_call(lecture_notice())
    person = Participant(fast.url, call["widget"]["token"])
    try:
        person.join({"display_name": "Ada"})
        answer = person.decide({"recording": "granted"})
        assert answer["ok"], answer
        signed = person.call("receipt", {"id": answer["receipt"]["id"]})
        assert signed["ok"], signed
    finally:
        person.close()
    jwks = requests.get(f"{fast.url}/.well-known/jwks.json", timeout=10).json()
    payload = jose_verify(signed["jws"], jwks)
    assert payload["manage_url"] == f"{fast.url}/manage/{person.id}"

    deadline = time.monotonic() + 20
    items: list = []
    while time.monotonic() < deadline:  # the pass runs every second here
        items = org.get(f"/api/v1/calls/{call['id']}/checkpoints")["items"]
        if items and items[-1]["seq"] == answer["receipt"]["seq"]:
            break
        time.sleep(0.3)
    assert items and items[-1]["seq"] == answer["receipt"]["seq"], items
    assert items[-1]["final"] is False
    assert jose_verify(items[-1]["jws"], jwks)["hash"] == answer["receipt"]["hash"]

    receipt_file = tmp_path / "receipt.jws"
    receipt_file.write_text(signed["jws"])
    assert fast.cli("verify-receipt", str(receipt_file), check=False).returncode == 0
    org.post(f"/api/v1/calls/{call['id']}/end")
    assert org.get(f"/api/v1/calls/{call['id']}/checkpoints")["items"][-1]["final"] is True
    verdict = fast.cli("verify-ledger", check=False)
    assert verdict.returncode == 0, verdict.stderr


def test_a_notice_change_on_a_migrated_database_reaches_a_live_participant(fast: Server
                                                                          ) -> None:
    from tests.services.test_notice_change import second_version

    org = Org(fast)
    published = org.post("/api/v1/notices", lecture_notice())
    call = org.post("/api/v1/calls", {"title": "E2E", "notice_id": published["id"]})
    person = Participant(fast.url, call["widget"]["token"])
    told: list = []
    person.client.on("notice_changed", told.append, namespace="/participant")
    try:
        person.join({"display_name": "Ada"})
        org.post(f"/api/v1/notices/{published['id']}/versions", second_version())
        changed = org.post(f"/api/v1/calls/{call['id']}/notice", {"version": 2})
        assert changed["notice"]["version"] == 2
        deadline = time.monotonic() + 10
        while not told and time.monotonic() < deadline:
            time.sleep(0.05)
        assert told and told[0]["asked_again"] == ["recording", "transcript"]
        shown = person.call("notice", {"language": "en"})
        assert shown["notice"]["version"] == 2 and shown["state"]["transcript"] == "pending"
    finally:
        person.close()
    verdict = fast.cli("verify-ledger", check=False)
    assert verdict.returncode == 0, verdict.stderr
