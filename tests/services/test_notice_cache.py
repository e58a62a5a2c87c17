"""DESIGN §2 Notice: every decision records the version and hash of the notice its call was
opened with, whatever else the process has seen before."""

from pathlib import Path

from tests.conftest import lecture_notice
from tests.services.support import Lecture, World, consent_name_notice, sqlite_file_database


def test_a_database_replaced_at_the_same_url_is_not_served_a_stale_notice(
        tmp_path: Path) -> None:
    first_db, path = sqlite_file_database(tmp_path, "replaced.db")
    first = Lecture(World(first_db))
    pid = first.join("Ada")
    first.decide(pid, {"recording": "granted"})
    first_db.dispose()
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)

    # the same URL, a new database: version id 1 is now another notice
    second_db, _ = sqlite_file_database(tmp_path, "replaced.db")
    try:
        world = World(second_db)
        content = consent_name_notice()
        assert content != lecture_notice()
        second = Lecture(world, content)
        pid = second.join(None)
        second.decide(pid, {"recording": "granted"}, fields={"display_name": "Bob"})
        events = world.events(second.call_id)
        assert [(e.purpose, e.state) for e in events] == [
            (None, "notice_served"), ("recording", "granted")]
        assert {e.notice_hash for e in events} == {second.notice["content_hash"]}
    finally:
        second_db.dispose()
