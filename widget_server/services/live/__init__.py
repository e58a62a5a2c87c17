"""The live write path: every change of a live call (join, leave, decide, end) is a command,
and this is its one entry point, for the socket committer and the REST views alike.

apply() loads each call once, runs that call's commands in arrival order through the
LiveCall aggregate (call.py), saves once and commits once. A command the rules refuse is
refused on its own (its DomainError is its outcome) and leaves nothing behind.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from widget_server.domain.errors import DomainError, NotFound
from widget_server.domain.ids import utcnow
from widget_server.services.live import call as live_call
from widget_server.services.live.commands import (
    ChangeNotice,
    Command,
    Decide,
    EndCall,
    Erase,
    Join,
    Leave,
    MarkAway,
    Policy,
)
from widget_server.services.live.decisions import decide
from widget_server.services.live.ending import end_call
from widget_server.services.live.erasure import erase
from widget_server.services.live.notice_change import change_notice
from widget_server.services.live.presence import join, leave, mark_away
from widget_server.services.webhooks import outbox

Outcome = dict[str, Any] | DomainError

__all__ = ["Applied", "ChangeNotice", "Command", "Decide", "EndCall", "Erase", "Join", "Leave",
           "MarkAway", "Outcome", "Policy", "apply", "apply_one"]


@dataclass
class Applied:
    """What a batch did: one outcome per command (in order), and per call the host updates
    to send, whether the call ended and its notice changes (what participants are told), all
    only once committed."""

    outcomes: list[Outcome]
    updates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ended: list[str] = field(default_factory=list)
    notice_changes: list[dict[str, Any]] = field(default_factory=list)
    # The batch wrote webhook deliveries: wake the sender (a batch of an organisation without
    # webhooks wakes nothing and costs nothing more).
    webhooks: bool = False

    def extend(self, other: "Applied") -> None:
        self.outcomes += other.outcomes
        self.webhooks = self.webhooks or other.webhooks
        for call_id, updates in other.updates.items():
            self.updates.setdefault(call_id, []).extend(updates)
        self.ended += other.ended
        self.notice_changes += other.notice_changes


def apply(session: Session, commands: Sequence[Command], policy: Policy | None = None
          ) -> Applied:
    """Apply every command in arrival order (per call) and commit once. Raises if the commit
    fails: then none of them is recorded."""
    policy = policy or Policy()
    outcomes: list[Outcome | None] = [None] * len(commands)
    by_call: dict[str, list[int]] = defaultdict(list)
    for index, command in enumerate(commands):
        by_call[command.call_id].append(index)
    applied = Applied([])
    now = utcnow()
    for call_id, indexes in by_call.items():
        live = live_call.load(session, call_id, [commands[i] for i in indexes], now)
        for index in indexes:
            try:
                if live is None:
                    raise NotFound(f"No call {call_id}.")
                outcomes[index] = _run(live, commands[index], policy)
            except DomainError as err:
                outcomes[index] = err
        if live is not None:
            live_call.save(session, live)
            if live.live_updates:
                applied.updates[call_id] = live.live_updates
            if live.ended_now:
                applied.ended.append(call_id)
            applied.notice_changes += live.notice_changes
    session.commit()
    applied.webhooks = bool(session.info.pop(outbox.WRITTEN, False))
    applied.outcomes = [o for o in outcomes if o is not None]
    return applied


def apply_one(session: Session, command: Command, policy: Policy | None = None
              ) -> tuple[dict[str, Any], Applied]:
    """One command on its own (a batch of one); raises its DomainError if refused."""
    applied = apply(session, [command], policy)
    [outcome] = applied.outcomes
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome, applied


def _run(live: live_call.LiveCall, command: Command, policy: Policy) -> dict[str, Any]:
    match command:
        case Join():
            return join(live, command, policy)
        case Decide():
            return decide(live, command)
        case Leave():
            return leave(live, command)
        case MarkAway():
            return mark_away(live, command)
        case Erase():
            return erase(live, command)
        case EndCall():
            return end_call(live, command)
        case ChangeNotice():
            return change_notice(live, command)
    raise TypeError(f"Not a live command: {type(command).__name__}")
