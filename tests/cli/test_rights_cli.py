"""`verify-ledger` over the events rights after the call add (CONTRACT §C): a withdrawal by
the manage link after the end, an erasure by the controller (`erased`, purpose null). The
chain verifies, an edit of the erasure event is caught, and the erased values leave the file."""

from pathlib import Path

from tests.cli.test_cli import (
    CANARY_EMAIL,
    CANARY_NAME,
    Cli,
    embedded,
    file_bytes,
    move_end_back,
    populate,
    sql,
)
from tests.services.support import World
from widget_server.services import live
from widget_server.services.database import Database


def test_rights_after_the_end_keep_the_ledger_verifiable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'widget.db'}"
    embedded(url)
    cli = Cli(tmp_path, url)
    world = populate(url)
    ann, other = world["people"]
    move_end_back(url, world["call"], days=1, instance=tmp_path / "instance")
    db = Database(url)
    live_world = World(db)
    live_world.decide(world["call"], other, {"notes_email": "withdrawn"}, channel="manage")
    with db.session() as s:
        erased = live_world.run(s, live.Erase(world["call"], ann, "api"))
    db.dispose()
    assert erased["erased"] == ["display_name", "email"]
    data = file_bytes(tmp_path / "widget.db")
    assert CANARY_NAME.encode() not in data and CANARY_EMAIL.encode() not in data
    assert b"other@example.org" not in data  # withdrawn after the end
    result = cli("verify-ledger")
    assert result.returncode == 0, result.stderr
    assert "10 events in 1 calls" in result.stdout
    sql(url, "UPDATE decision_event SET state = 'granted' WHERE state = 'erased'")
    tampered = cli("verify-ledger")
    assert tampered.returncode == 1
    assert f"call {world['call']}, event seq 10" in tampered.stderr, tampered.stderr
