"""Reading and verifying the decision ledger."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.ledger import GENESIS, chain_hash, ledger_fields
from widget_server.domain.models import Call, Checkpoint, DecisionEvent
from widget_server.domain.signing import CHECKPOINT, SignatureProblem
from widget_server.domain.signing import verify as verify_signature

PAGE_MAX = 1000


@dataclass
class Verdict:
    ok: bool
    calls: int
    events: int
    call_id: str | None = None
    seq: int | None = None
    problem: str | None = None
    # Calls sealed (no personal data left) whose proof is still kept, and calls whose proof
    # was deleted after its retention, each one's closing checkpoint checked.
    sealed: int = 0
    closed: int = 0


def verify(session: Session, call_id: str | None = None,
           public_keys: dict[str, Ed25519PublicKey] | None = None) -> Verdict:
    """Walk every chain. Stops at the first event that was edited, deleted or moved. With the
    server's public keys, also every signed checkpoint: each must verify and match the chain
    at its seq (a chain rewritten consistently does not), and an ended call must have a final
    one. A call whose proof was deleted (services/sealing.py) must have no events left and
    its closing checkpoint, signed over the head the call row keeps."""
    query = select(Call).order_by(Call.created_at, Call.id)
    if call_id is not None:
        query = query.where(Call.id == call_id)
    calls = events = sealed = closed = 0
    for call in session.scalars(query):
        calls += 1
        if call.proof_deleted_at is not None:
            problem_at = _closed(session, call, public_keys)
            if problem_at is not None:
                return Verdict(False, calls, events, call.id, *problem_at)
            closed += 1
            continue
        sealed += call.sealed_at is not None
        signed: dict[int, list[str]] = {}
        if public_keys is not None:
            problem_at = _signed_heads(session, call, public_keys, signed)
            if problem_at is not None:
                return Verdict(False, calls, events, call.id, *problem_at)
        expected_seq, prev = 1, GENESIS
        for event in _events(session, call.id):
            events += 1
            problem = _check(event, expected_seq, prev)
            if problem:
                # A gap names the missing seq; anything else the event that fails its check.
                return Verdict(False, calls, events, call.id,
                               min(event.seq, expected_seq), problem)
            if any(head != event.hash for head in signed.pop(event.seq, ())):
                return Verdict(False, calls, events, call.id, event.seq, REWRITTEN)
            expected_seq, prev = expected_seq + 1, event.hash
        if call.ledger_seq != expected_seq - 1 or call.ledger_head != prev:
            return Verdict(False, calls, events, call.id, expected_seq,
                           f"events from seq {expected_seq} to {call.ledger_seq} are missing")
        if signed:
            seq = min(signed)
            return Verdict(False, calls, events, call.id, seq,
                           "a signed checkpoint covers this seq, but the chain ends before it "
                           "(events deleted)")
    return Verdict(True, calls, events, sealed=sealed, closed=closed)


REWRITTEN = ("the chain does not match the signed checkpoint at this seq (rewritten from the "
             "database)")


def _closed(session: Session, call: Call, public_keys: dict[str, Ed25519PublicKey] | None
            ) -> tuple[int, str] | None:
    """The (seq, problem) that makes a call whose proof was deleted fail, or None: its closing
    checkpoint must be there, verify (with the keys), and cover exactly the head the call row
    keeps, with as many events as that head's seq; and nothing of the ledger may remain."""
    seq = call.ledger_seq
    left = session.scalar(select(DecisionEvent.seq).where(DecisionEvent.call_id == call.id)
                          .order_by(DecisionEvent.seq).limit(1))
    if left is not None:
        return left, "the call's proof was deleted, but ledger events remain"
    rows = list(session.scalars(select(Checkpoint).where(Checkpoint.call_id == call.id)
                                .order_by(Checkpoint.id)))
    closing = [row for row in rows if row.closing]
    if not closing:
        return seq, ("the call's proof was deleted, but its closing signed checkpoint is "
                     "missing")
    if len(rows) > 1:
        return seq, "the call's proof was deleted, but more than its closing checkpoint remains"
    [row] = closing
    expected = {"call_id": call.id, "seq": seq, "hash": call.ledger_head, "final": True,
                "closing": True, "events": seq}
    if (row.seq, row.hash, row.final, row.events) != (seq, call.ledger_head, True, seq):
        return seq, "the closing checkpoint does not match the call's final head"
    if public_keys is None:
        return None
    try:
        payload = verify_signature(public_keys, row.jws, CHECKPOINT)
    except SignatureProblem as err:
        return seq, f"closing checkpoint: {err.message}"
    if {key: payload.get(key) for key in expected} != expected:
        return seq, "the closing checkpoint's row differs from what its signature covers"
    return None


def _signed_heads(session: Session, call: Call, public_keys: dict[str, Ed25519PublicKey],
                  signed: dict[int, list[str]]) -> tuple[int, str] | None:
    """Fill `signed` with the heads the call's checkpoints sign (seq → hashes); or the
    (seq, problem) of the first checkpoint that does not verify."""
    final = False
    for row in session.scalars(select(Checkpoint).where(Checkpoint.call_id == call.id)
                               .order_by(Checkpoint.seq, Checkpoint.id)):
        try:
            payload = verify_signature(public_keys, row.jws, CHECKPOINT)
        except SignatureProblem as err:
            return row.seq, f"checkpoint: {err.message}"
        if (payload.get("call_id"), payload.get("seq"), payload.get("hash"),
                payload.get("final")) != (call.id, row.seq, row.hash, row.final):
            return row.seq, "the checkpoint's row differs from what its signature covers"
        if row.seq == 0:
            if row.hash != GENESIS:
                return 0, REWRITTEN
            final = final or row.final
            continue
        signed.setdefault(row.seq, []).append(row.hash)
        final = final or row.final
    if call.status == "ended" and not final:
        return call.ledger_seq, ("the call has ended but its final signed checkpoint is "
                                 "missing (deleted)")
    return None


def _check(event: DecisionEvent, expected_seq: int, prev: str) -> str | None:
    if event.seq != expected_seq:
        return (f"seq {expected_seq} is missing: the next event found is seq {event.seq} "
                "(deleted or moved)")
    if event.prev_hash != prev:
        return "prev_hash does not match the previous event (deleted or reordered)"
    if chain_hash(event.prev_hash, ledger_fields(event)) != event.hash:
        return "the event's content does not match its hash (edited)"
    return None


def _events(session: Session, call_id: str) -> Iterator[DecisionEvent]:
    # Ordered by insertion as well as seq so a swapped seq shows as out of place.
    query = (select(DecisionEvent).where(DecisionEvent.call_id == call_id)
             .order_by(DecisionEvent.seq, DecisionEvent.id)
             .execution_options(yield_per=1000))
    yield from session.scalars(query)


def decisions_page(session: Session, call_id: str, after: int, limit: int) -> dict[str, Any]:
    """The ledger of one call, oldest first, `limit` events after seq `after`."""
    limit = max(1, min(limit, PAGE_MAX))
    rows = list(session.scalars(
        select(DecisionEvent).where(DecisionEvent.call_id == call_id, DecisionEvent.seq > after)
        .order_by(DecisionEvent.seq).limit(limit + 1)))
    items = [decision_view(e) for e in rows[:limit]]
    more = len(rows) > limit
    return {"items": items, "next": str(items[-1]["seq"]) if more else None}


def all_decisions(session: Session, call_id: str) -> Iterator[dict[str, Any]]:
    for event in _events(session, call_id):
        yield decision_view(event)


def decision_view(event: DecisionEvent) -> dict[str, Any]:
    view = ledger_fields(event)
    del view["call_id"]
    view.update(prev_hash=event.prev_hash, hash=event.hash)
    return view
