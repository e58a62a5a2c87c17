"""Presence leases: several serving processes, and what happens to the participants of one
that dies (CONTRACT §F).

Each serving process takes a lease (a row with a fresh id) before it accepts connections and
renews it every HEARTBEAT_SECONDS; each join records the process holding the participant's
connection (Participant.process). A lease not renewed for LEASE_SECONDS belongs to a dead
process: any live process finds the participants still counted present through it and marks
them away through the live write path (MarkAway naming the dead process, so someone who came
back through another process meanwhile stays). On a clean stop a process does the same for
its own participants and gives its lease up.

Clocks: heartbeats are written and judged with each process's own clock, so processes on
several machines need their clocks in step (NTP), to well within LEASE_SECONDS.
"""

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.orm import Session

from widget_server.domain.ids import new_id
from widget_server.domain.models import Call, Participant, ProcessLease
from widget_server.services.live.commands import MarkAway

HEARTBEAT_SECONDS = 2.5
LEASE_SECONDS = 10.0  # older than this: the process is dead


def new_process_id() -> str:
    return new_id("proc")


def take(session: Session, process: str, now: datetime) -> None:
    """Start (or take back, after it was judged dead) this process's lease."""
    session.execute(delete(ProcessLease).where(ProcessLease.id == process))
    session.execute(insert(ProcessLease).values(id=process, started_at=now, heartbeat_at=now))
    session.commit()


def renew(session: Session, process: str, now: datetime) -> bool:
    """One heartbeat: one UPDATE. False when the lease was gone (this process was judged
    dead while it could not renew, and its participants were marked away): it is taken again."""
    renewed = session.execute(update(ProcessLease).where(ProcessLease.id == process)
                              .values(heartbeat_at=now)).rowcount  # type: ignore[attr-defined]
    if renewed:
        session.commit()
        return True
    take(session, process, now)
    return False


def release(session: Session, process: str) -> None:
    session.execute(delete(ProcessLease).where(ProcessLease.id == process))
    session.commit()


def held_by(session: Session, processes: Collection[str]) -> list[MarkAway]:
    """Everyone counted present through these processes (dead, or this one stopping): each
    goes away. Uses the index on Participant.process."""
    if not processes:
        return []
    return _away(session, _present().where(Participant.process.in_(sorted(processes))))


def dead(session: Session, now: datetime) -> list[str]:
    """The leases not renewed for LEASE_SECONDS (a small table: one row per process)."""
    return list(session.scalars(select(ProcessLease.id)
                                .where(ProcessLease.heartbeat_at < _cutoff(now))))


def orphaned(session: Session, now: datetime) -> list[MarkAway]:
    """Everyone counted present through a process with no live lease at all (its lease was
    deleted, or it never had one): the slower, complete sweep."""
    live = select(ProcessLease.id).where(ProcessLease.heartbeat_at >= _cutoff(now))
    return _away(session, _present().where(Participant.process.is_not(None),
                                           Participant.process.not_in(live)))


def forget(session: Session, processes: Collection[str]) -> None:
    """Delete dead leases once nobody is counted present through them."""
    session.execute(delete(ProcessLease).where(ProcessLease.id.in_(sorted(processes))))
    session.commit()


def _present() -> Select[str, str, str | None]:
    return (select(Participant.call_id, Participant.id, Participant.process)
            .join(Call, Call.id == Participant.call_id)
            .where(Call.status == "open", Participant.present.is_(True)))


def _away(session: Session, query: Select[str, str, str | None]) -> list[MarkAway]:
    return [MarkAway(call_id, pid, process) for call_id, pid, process in session.execute(query)]


def _cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=LEASE_SECONDS)
