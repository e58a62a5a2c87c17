"""Signed checkpoints (CONTRACT §B): the server signs each call's ledger head at the end and
while it changes, so a chain rewritten consistently from the database is caught."""

from datetime import timedelta

from sqlalchemy import select

from tests.services.support import Lecture, World
from tests.services.test_receipts import jose_verify
from widget_server.domain.ids import utcnow
from widget_server.domain.ledger import GENESIS, chain_hash, ledger_fields
from widget_server.domain.models import Call, Checkpoint, DecisionEvent
from widget_server.domain.signing import KeyRing
from widget_server.services import checkpoints


def listed(world: World, call_id: str) -> list[dict]:
    with world.db.read_session() as s:
        return checkpoints.checkpoints_of(s, call_id)


def busy(lecture: Lecture) -> str:
    pid = lecture.join("Ada")
    lecture.decide(pid, {"recording": "granted"})
    lecture.decide(pid, {"attendance": "objected"})
    return pid


def rewrite_consistently(world: World, call_id: str, seq: int, state: str) -> None:
    """What someone with database access could do: edit an event, then recompute every hash of
    the call's chain after it, and the call's head, so that the chain verifies again."""
    with world.db.session() as s:
        events = list(s.scalars(select(DecisionEvent).where(DecisionEvent.call_id == call_id)
                                .order_by(DecisionEvent.seq)))
        prev = GENESIS
        for event in events:
            if event.seq == seq:
                event.state = state
            event.prev_hash = prev
            event.hash = chain_hash(prev, ledger_fields(event))
            prev = event.hash
        call = s.get(Call, call_id)
        assert call is not None
        call.ledger_head = prev
        s.commit()


def test_the_end_of_a_call_signs_its_head_and_the_jwks_verifies_it(world: World,
                                                                   lecture: Lecture) -> None:
    busy(lecture)
    lecture.end()
    [final] = listed(world, lecture.call_id)
    [last] = world.events(lecture.call_id)[-1:]
    assert final["final"] is True and (final["seq"], final["hash"]) == (last.seq, last.hash)
    payload = jose_verify(final["jws"], world.ring.jwks())
    assert payload == {"call_id": lecture.call_id, "seq": last.seq, "hash": last.hash,
                       "final": True, "signed_at": payload["signed_at"]}
    assert world.verify().ok
    # Ending again signs nothing more.
    lecture.end()
    assert len(listed(world, lecture.call_id)) == 1


def test_the_pass_signs_only_ledgers_that_changed(world: World, lecture: Lecture) -> None:
    assert world.sign_checkpoints() == 0  # an empty ledger has nothing to sign yet
    pid = busy(lecture)
    assert world.sign_checkpoints() == 1
    assert world.sign_checkpoints() == 0  # unchanged since
    lecture.decide(pid, {"recording": "withdrawn"})
    assert world.sign_checkpoints() == 1
    seqs = [c["seq"] for c in listed(world, lecture.call_id)]
    assert seqs == [3, 4] and not any(c["final"] for c in listed(world, lecture.call_id))
    assert world.verify().ok


def test_an_end_whose_checkpoint_was_lost_is_signed_by_the_next_pass(world: World,
                                                                    lecture: Lecture) -> None:
    busy(lecture)
    lecture.end()
    world.sql("DELETE FROM checkpoint")  # as if the process died between the two commits
    assert world.sign_checkpoints() == 1
    [final] = listed(world, lecture.call_id)
    assert final["final"] and world.verify().ok


def test_a_consistent_rewrite_passes_the_chain_but_not_the_checkpoint(world: World,
                                                                     lecture: Lecture) -> None:
    busy(lecture)
    world.sign_checkpoints()  # seq 3 signed while open
    pid = lecture.join("Grace")
    lecture.decide(pid, {"recording": "denied"})
    lecture.end()  # seq 5 signed at the end
    rewrite_consistently(world, lecture.call_id, 2, "denied")  # Ada's grant becomes a denial
    verdict = world.verify()
    assert not verdict.ok
    assert (verdict.call_id, verdict.seq) == (lecture.call_id, 3)
    assert "signed checkpoint" in str(verdict.problem)
    # Without the keys the chain alone looks intact: that is what the signatures add.
    with world.db.read_session() as s:
        from widget_server.services import ledger

        assert ledger.verify(s).ok


def test_a_deleted_final_checkpoint_of_an_ended_call_fails(world: World, lecture: Lecture
                                                          ) -> None:
    busy(lecture)
    world.sign_checkpoints()
    lecture.end()
    world.sql("DELETE FROM checkpoint WHERE final = :t", t=True)
    verdict = world.verify(lecture.call_id)
    assert not verdict.ok and verdict.call_id == lecture.call_id and verdict.seq == 3
    assert "final signed checkpoint is missing" in str(verdict.problem)


def test_an_altered_or_foreign_checkpoint_fails(world: World, lecture: Lecture) -> None:
    busy(lecture)
    lecture.end()
    world.sql("UPDATE checkpoint SET hash = :h", h="sha256:" + "1" * 64)
    verdict = world.verify()
    assert not verdict.ok and "differs from what its signature covers" in str(verdict.problem)
    stranger = KeyRing.generate()
    with world.db.session() as s:
        s.execute(Checkpoint.__table__.delete())
        s.commit()
        checkpoints.sign_head(s, stranger, lecture.call_id)
    verdict = world.verify()
    assert not verdict.ok and "not one of this server's keys" in str(verdict.problem)


def test_events_deleted_after_a_checkpoint_fail(world: World, lecture: Lecture) -> None:
    busy(lecture)
    world.sign_checkpoints()
    # The tail cut off, the head moved back: the chain alone is consistent again.
    world.sql("DELETE FROM decision_event WHERE call_id = :c AND seq = 3", c=lecture.call_id)
    last = world.events(lecture.call_id)[-1]
    world.sql("UPDATE call SET ledger_seq = 2, ledger_head = :h WHERE id = :c", h=last.hash,
              c=lecture.call_id)
    verdict = world.verify()
    assert not verdict.ok and verdict.seq == 3 and "chain ends before it" in str(verdict.problem)


def test_an_empty_ledger_ends_with_a_genesis_checkpoint(world: World, lecture: Lecture) -> None:
    lecture.end()
    [final] = listed(world, lecture.call_id)
    assert (final["seq"], final["hash"], final["final"]) == (0, GENESIS, True)
    assert world.verify().ok


def test_signed_at_is_the_pass_time(world: World, lecture: Lecture) -> None:
    busy(lecture)
    moment = utcnow() - timedelta(minutes=5)
    world.sign_checkpoints(now=moment)
    [checkpoint] = listed(world, lecture.call_id)
    assert checkpoint["signed_at"] == moment
