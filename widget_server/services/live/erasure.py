"""Erasure on request (Art. 17, CONTRACT §C): every personal field of a participant goes now,
whatever the purposes (and the meeting platform's id of them, `ref`), and the ledger records
that it did (`state: "erased"`, no purpose).

Choices stand as they were recorded (the ledger is their proof); only the data goes. A host
sees the participant's pseudonym from then on.
"""

from typing import Any

from widget_server.domain.ledger import ERASED
from widget_server.services.live.call import LiveCall, new_event_id
from widget_server.services.live.commands import Erase


def erase(live: LiveCall, command: Erase) -> dict[str, Any]:
    """Erase every field held and record it, in the call open or ended. Idempotent: when
    nothing is held and an erasure is already recorded, nothing new is written (a first
    request is recorded even if nothing was held: the controller can show it was done)."""
    person = live.person(command.participant_id)
    held = sorted(person.held())
    # The meeting platform's id of the participant (the snippet's data-participant-ref)
    # identifies them there: it goes too. A phone caller's ref is only their masked label.
    if person.row.get("ref") and person.row["channel"] != "phone":
        held.append("ref")
    if not held and person.id in live.erased:
        return {"erased": [], "held": [], "recorded": False, "ledger": None}
    for name in held:
        person.row[name] = None
    person.row["updated_at"] = live.now
    person.changed = True
    person.erased = bool(held)  # off the disk too, soon after the commit (services/scrub.py)
    live.append_event(person, new_event_id(), None, ERASED, command.channel)
    live.erased.add(person.id)
    live.record_update("erased", person)
    return {"erased": held, "held": [], "recorded": True,
            "ledger": {"seq": live.call["ledger_seq"], "hash": live.call["ledger_head"]}}
