"""One transaction for whatever the live connections asked for meanwhile (group commit).

Joins, decisions and leaves are applied in the order they arrived, each accepted or refused
on its own, and committed together: one fsync for the lot, so a burst costs little more than
a single request. Nothing is acknowledged before this returns.
"""

from itertools import groupby
from typing import Any

from sqlalchemy.orm import Session

from widget_server.services import decision_batch, presence_batch
from widget_server.services.decision_batch import DecisionRequest, Outcome
from widget_server.services.presence_batch import JoinRequest, LeaveRequest

Request = JoinRequest | DecisionRequest | LeaveRequest

_APPLY: dict[type, Any] = {
    JoinRequest: presence_batch.join_many,
    LeaveRequest: presence_batch.leave_many,
    DecisionRequest: decision_batch.decide_many,
}


def apply(session: Session, requests: list[Request]) -> list[Outcome]:
    """Apply every request in order and commit once. Raises if the commit fails: then none of
    them is recorded."""
    outcomes: list[Outcome] = []
    for kind, run in groupby(requests, key=type):
        outcomes += _APPLY[kind](session, list(run))
    session.commit()
    return outcomes
