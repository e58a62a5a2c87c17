"""The recording gate (DESIGN §2, The gate): whether recording may run in a call now.

Recording is allowed when at least one participant is present and every present participant
lets it run. This module is the one place that says what "lets it run" means; everything else
(the live aggregate's counters, the roster, the REST gate) asks it.
"""

from typing import Any

from widget_server.domain.lawful_basis import GRANTED, OBJECTED, LawfulBasis
from widget_server.domain.notice import Purpose


def lets_record(purposes: list[Purpose], states: dict[str, str]) -> bool:
    """Whether one participant lets recording run: every gating consent purpose granted, and
    no gating legitimate-interest purpose objected to."""
    for purpose in purposes:
        if not purpose.gates_recording:
            continue
        state = states.get(purpose.key)
        if purpose.basis is LawfulBasis.CONSENT and state != GRANTED:
            return False
        if purpose.basis is LawfulBasis.LEGITIMATE_INTERESTS and state == OBJECTED:
            return False
    return True


def recording_allowed(is_open: bool, present: int, blocking: int) -> bool:
    """The call's gate from its counters: open, somebody present, nobody present blocking."""
    return is_open and present > 0 and blocking == 0


def gate_view(is_open: bool, present: int, blocking: int) -> dict[str, Any]:
    """The gate as host updates and the call resource carry it."""
    return {"recording_allowed": recording_allowed(is_open, present, blocking),
            "blocking": blocking}
