"""A process's presence lease on one real server process (CONTRACT §F): taken at start, given
up on a clean stop with its participants marked left; a lost lease closes the participants'
connections, so that they join again rather than stay wrongly left."""

import time
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from tests.conftest import lecture_notice
from tests.e2e.harness import Host, Org, Participant, running_server
from widget_server.domain.models import Participant as Row
from widget_server.domain.models import ProcessLease
from widget_server.services.database import Database

pytestmark = pytest.mark.e2e


def test_a_lost_lease_closes_the_participants_connections(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        database = Database(server.env["WIDGET_SERVER_DATABASE_URL"])
        try:
            org = Org(server)
            call = org.open_call(lecture_notice())
            person = Participant(server.url, call["widget"]["token"])
            person.join({"display_name": "Ada"})
            with database.read_session() as session:
                [lease] = session.scalars(select(ProcessLease.id)).all()
                assert session.scalar(select(Row.process).where(Row.id == person.id)) == lease
            # As if another process had judged this one dead and marked its people away.
            with database.session() as session:
                session.execute(delete(ProcessLease))
                session.commit()
            deadline = time.monotonic() + 10
            while person.client.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not person.client.connected
            assert '"lease_lost"' in server.log()
            with database.read_session() as session:  # taken again
                assert session.scalars(select(ProcessLease.id)).all() == [lease]
        finally:
            database.dispose()


def test_a_clean_stop_marks_its_participants_left_and_gives_the_lease_up(
        tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        database = Database(server.env["WIDGET_SERVER_DATABASE_URL"])
        try:
            org = Org(server)
            call = org.open_call(lecture_notice())
            host = Host(server.url, call["host"]["token"])
            person = Participant(server.url, call["widget"]["token"])
            person.join({"display_name": "Ada"})
            host.wait_for(lambda: [u["kind"] for u in host.updates] == ["joined"])
            assert server.process is not None
            server.stop()
            assert server.process.returncode == 0
            with database.read_session() as session:
                row = session.get(Row, person.id)
                assert row is not None and (row.present, row.connections) == (False, 0)
                assert session.scalars(select(ProcessLease.id)).all() == []
            assert '"lease_released"' in server.log()
        finally:
            database.dispose()
