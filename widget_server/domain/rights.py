"""Rights after the call (DESIGN §2, CONTRACT §C): which decisions may still be recorded once a
call has ended, and until when.

Withdrawal (Art. 7(3)) and objection (Art. 21) stay possible after the end, through the manage
link (channel `manage`) or the controller's API (channel `api`), until every purpose's
retention has passed: after that nothing is processed any more and there is nothing left to
decide. Turning anything on after the end (a grant, taking an objection back) is refused: the
call it was asked for is over. The widget cannot decide after the end at all: its token stops
working when the call ends.
"""

from datetime import datetime, timedelta

from widget_server.domain.errors import CallEnded, RetentionPassed
from widget_server.domain.lawful_basis import OBJECTED
from widget_server.domain.notice import Purpose

# Channels that may still record a decision after the call has ended.
LATER_CHANNELS = frozenset({"manage", "api"})
# Choices that turn processing off (or keep it off): the only ones after the end. `denied` is
# a refusal of what was never granted, so it is one of them.
TURNING_OFF = frozenset({"withdrawn", "denied", OBJECTED})


def decisions_until(ended_at: datetime | None, purposes: list[Purpose]) -> datetime | None:
    """Until when a withdrawal or an objection can be recorded: the end of the longest
    retention, counted from the end of the call (None while the call is open)."""
    if ended_at is None:
        return None
    return ended_at + timedelta(days=max((p.retention_days for p in purposes), default=0))


def check_still_decidable(channel: str, ended_at: datetime, purposes: list[Purpose],
                          now: datetime) -> None:
    """After the end: refuse the widget, and everyone once every retention has passed."""
    if channel not in LATER_CHANNELS:
        raise CallEnded("The call has ended; no more decisions can be recorded here. Use "
                        "the manage link to withdraw or object.")
    until = decisions_until(ended_at, purposes)
    assert until is not None
    if now >= until:
        raise RetentionPassed(
            f"Every purpose's retention ended on {until:%Y-%m-%d %H:%M} UTC: nothing is "
            "processed any more, so there is nothing left to withdraw or object to.")


def check_turning_off(choices: dict[str, str]) -> None:
    """After the end: every choice must turn processing off (withdrawn, denied, objected)."""
    turning_on = sorted(key for key, state in choices.items() if state not in TURNING_OFF)
    if turning_on:
        raise CallEnded(
            "The call has ended: a consent can still be withdrawn and processing objected "
            "to, but nothing can be granted any more.",
            fields={key: ["After the end only withdrawn, denied or objected."]
                    for key in turning_on})
