"""Decisions: one participant's choices, recorded in the ledger and applied to the current state.

The work is done in batches (decision_batch); a single decision is a batch of one, so there is
one implementation of the rules whichever way a decision arrives.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import DomainError
from widget_server.domain.models import PurposeState
from widget_server.services.decision_batch import DecisionRequest, Outcome
from widget_server.services.decision_batch import decide_many as _decide_many
from widget_server.services.decision_rules import gate_ok_for, ledger_fields

__all__ = ["DecisionRequest", "decide", "decide_many", "gate_ok_for", "ledger_fields",
           "states_of"]


def decide(
    session: Session, call_id: str, participant_id: str, *, event_id: Any, choices: Any,
    fields: Any = None, channel: str = "widget",
) -> dict[str, Any]:
    """Record a participant's choices: one ledger event per purpose, hash-chained, then the
    current state, the personal data it allows, and the gate. Commits once.

    Idempotent on event_id: a retry returns the first answer and adds nothing (its "update"
    is then None). Refuses an ended call, an unknown purpose, a state the purpose's lawful
    basis does not allow, and any field no granted purpose needs, storing nothing.
    """
    [outcome] = decide_many(session, [DecisionRequest(call_id, participant_id, event_id,
                                                      choices, fields, channel)])
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def decide_many(session: Session, requests: list[DecisionRequest]) -> list[Outcome]:
    """Group commit: every decision applied in the order given, each recorded or refused on
    its own, then one commit (one fsync) for them all. Raises if the commit fails: then none
    is recorded."""
    outcomes = _decide_many(session, requests)
    session.commit()
    return outcomes


def states_of(session: Session, participant_id: str) -> dict[str, str]:
    rows = session.execute(select(PurposeState.purpose, PurposeState.state)
                           .where(PurposeState.participant_id == participant_id))
    return {purpose: state for purpose, state in rows}
