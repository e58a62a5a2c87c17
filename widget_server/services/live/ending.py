"""Ending a call: nobody can join or decide any more, everyone leaves, retention starts."""

from typing import Any

from widget_server.services.live.call import LiveCall
from widget_server.services.live.commands import EndCall


def end_call(live: LiveCall, command: EndCall) -> dict[str, Any]:
    """Ending an ended call changes nothing."""
    if not live.is_open:
        return {"ended": False}
    live.call["status"], live.call["ended_at"] = "ended", live.now
    live.call["present_count"] = live.call["blocking_count"] = 0
    for person in live.people.values():
        person.row.update(present=False, connections=0, blocking_since=None)
    live.ended_now = True
    live.record_update("call_ended", None)
    return {"ended": True}
