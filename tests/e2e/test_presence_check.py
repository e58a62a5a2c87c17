"""No "present" ghost outlives its connection by more than 15 s (issue 8): a participant
counted present without a connection (a lost leave, a join acknowledged to nobody) is found
by the server's presence check and marked away, with a `left` update for the hosts."""

import time
from pathlib import Path

import pytest

from tests.conftest import lecture_notice
from tests.e2e.harness import Host, Org, Participant, running_server
from widget_server.services import live
from widget_server.services.database import Database
from widget_server.services.live.notices import notice_of_call

pytestmark = pytest.mark.e2e


def test_a_ghost_is_marked_away_within_fifteen_seconds(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        org = Org(server)
        call = org.open_call(lecture_notice())
        host = Host(server.url, call["host"]["token"])
        real = Participant(server.url, call["widget"]["token"])
        real.join({"display_name": "Real"})
        # A join committed with no connection behind it, as when its client gave up waiting.
        database = Database(server.env["WIDGET_SERVER_DATABASE_URL"])
        try:
            with database.session() as s:
                seen = notice_of_call(s, call["id"]).content_hash
                outcome, _ = live.apply_one(s, live.Join(call["id"], seen,
                                                         {"display_name": "Ghost"}))
        finally:
            database.dispose()
        ghost = outcome["participant"]["id"]
        started = time.monotonic()
        host.wait_for(lambda: any(u["kind"] == "left" and u["participant"]["id"] == ghost
                                  for u in host.updates), timeout=16)
        assert time.monotonic() - started <= 15.5
        roster = org.get(f"/api/v1/calls/{call['id']}/participants")
        present = {p["id"] for p in roster["participants"] if p["present"]}
        assert present == {real.id}  # the real participant is left alone
        real.close()
        host.close()
