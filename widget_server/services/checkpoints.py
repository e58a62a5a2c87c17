"""Signed checkpoints of the ledger (CONTRACT §B).

The hash chain shows an edit, a deletion or a reordering, but someone with database access
could recompute every hash after an edit. A checkpoint is the server's signature over a call's
ledger head (seq, hash), made with a key the database never holds: a chain rewritten
consistently no longer matches it. Checkpoints are made at the end of a call (a separate small
transaction after the one that ended it) and by the server's periodic pass for every ledger that
changed since its last one (also catching an end whose checkpoint was lost to a crash).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from widget_server.domain.ids import utcnow
from widget_server.domain.ledger import instant
from widget_server.domain.models import Call, Checkpoint
from widget_server.domain.signing import CHECKPOINT, KeyRing, sign


def payload_of(call_id: str, seq: int, head: str, final: bool, signed_at: datetime
               ) -> dict[str, Any]:
    """What a checkpoint signs."""
    return {"call_id": call_id, "seq": seq, "hash": head, "final": final,
            "signed_at": instant(signed_at)}


def closing_payload_of(call_id: str, seq: int, head: str, events: int, signed_at: datetime
                       ) -> dict[str, Any]:
    """What the closing checkpoint signs: the final head, and how many events the ledger held
    when it was deleted (its seqs run 1..events, so events == seq for an intact ledger)."""
    return {**payload_of(call_id, seq, head, True, signed_at), "closing": True,
            "events": events}


def add_closing(session: Session, ring: KeyRing, call_id: str, seq: int, head: str,
                events: int, now: datetime) -> Checkpoint:
    """The closing checkpoint of a call whose proof is being deleted (services/sealing.py),
    added to the caller's transaction: it is all that stays of the ledger."""
    token = sign(ring, closing_payload_of(call_id, seq, head, events, now), CHECKPOINT)
    checkpoint = Checkpoint(call_id=call_id, seq=seq, hash=head, final=True, closing=True,
                            events=events, signed_at=now, kid=ring.kid, jws=token)
    session.add(checkpoint)
    return checkpoint


def sign_head(session: Session, ring: KeyRing, call_id: str, now: datetime | None = None
              ) -> dict[str, Any] | None:
    """Sign the call's ledger head as it stands committed now (final if the call has ended).
    Commits once. None if there is no such call."""
    row = session.execute(select(Call.ledger_seq, Call.ledger_head, Call.status)
                          .where(Call.id == call_id)).first()
    if row is None:
        return None
    checkpoint = _add(session, ring, call_id, row[0], row[1], row[2] == "ended", now or utcnow())
    session.commit()
    return view(checkpoint)


def pending_heads(session: Session) -> list[tuple[str, int, str, bool]]:
    """(call id, seq, hash, final) of every call whose ledger moved past its last checkpoint,
    and of every ended call without a final one. Reads only: a quiet server takes no write
    lock for its periodic pass."""
    last = (select(Checkpoint.call_id, func.max(Checkpoint.seq).label("seq"))
            .group_by(Checkpoint.call_id).subquery())
    final = aliased(Checkpoint)
    has_final = exists().where(final.call_id == Call.id, final.final.is_(True))
    rows = session.execute(
        select(Call.id, Call.ledger_seq, Call.ledger_head, Call.status)
        .outerjoin(last, last.c.call_id == Call.id)
        .where(or_(Call.ledger_seq > func.coalesce(last.c.seq, 0),
                   and_(Call.status == "ended", ~has_final)))).all()
    return [(call_id, seq, head, status == "ended") for call_id, seq, head, status in rows]


def sign_heads(session: Session, ring: KeyRing, heads: list[tuple[str, int, str, bool]],
               now: datetime | None = None) -> int:
    """Sign these heads (from pending_heads: committed heads never change, the ledger only
    grows). Commits once; returns how many were signed."""
    now = now or utcnow()
    for call_id, seq, head, final in heads:
        _add(session, ring, call_id, seq, head, final, now)
    session.commit()
    return len(heads)


def sign_changed(session: Session, ring: KeyRing, now: datetime | None = None) -> int:
    """One pass in one session: pending_heads, then sign_heads."""
    return sign_heads(session, ring, pending_heads(session), now)


def _add(session: Session, ring: KeyRing, call_id: str, seq: int, head: str, final: bool,
         now: datetime) -> Checkpoint:
    token = sign(ring, payload_of(call_id, seq, head, final, now), CHECKPOINT)
    checkpoint = Checkpoint(call_id=call_id, seq=seq, hash=head, final=final, signed_at=now,
                            kid=ring.kid, jws=token)
    session.add(checkpoint)
    return checkpoint


def checkpoints_of(session: Session, call_id: str) -> list[dict[str, Any]]:
    """Every checkpoint of a call, oldest first."""
    return [view(c) for c in session.scalars(
        select(Checkpoint).where(Checkpoint.call_id == call_id)
        .order_by(Checkpoint.seq, Checkpoint.id))]


def view(checkpoint: Checkpoint) -> dict[str, Any]:
    shown: dict[str, Any] = {"seq": checkpoint.seq, "hash": checkpoint.hash,
                             "final": checkpoint.final, "signed_at": checkpoint.signed_at,
                             "kid": checkpoint.kid, "jws": checkpoint.jws}
    if checkpoint.closing:
        shown.update(closing=True, events=checkpoint.events)
    return shown

