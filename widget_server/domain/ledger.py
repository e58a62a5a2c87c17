"""The decision ledger's chaining rule (DESIGN §2, Decision ledger): what each event's hash
covers, and how it links to the previous one, so that any edit, deletion or reordering shows.
"""

from datetime import datetime
from typing import Any

from widget_server.domain.hashing import sha256_of

GENESIS = "sha256:" + "0" * 64

# Ledger events that are not a choice of a purpose (their purpose is null).
NOTICE_SERVED = "notice_served"  # the notice shown at join: the proof of what was displayed
ERASED = "erased"  # every personal field erased on request (Art. 17), whatever the purposes

HASHED = ("call_id", "seq", "event_id", "participant_id", "purpose", "state", "notice_version",
          "notice_hash", "language", "channel")


def instant(moment: datetime) -> str:
    """The timestamp as hashed: microseconds, UTC, one spelling."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(prev_hash: str, event: dict[str, Any]) -> str:
    """Each ledger event's hash covers the previous one, so edits and reorders show."""
    return sha256_of({"prev": prev_hash, "event": event})


def ledger_fields(event: Any) -> dict[str, Any]:
    """What a stored event's hash covers: everything it proves except the hashes themselves."""
    fields = {name: getattr(event, name) for name in HASHED}
    fields["recorded_at"] = instant(event.recorded_at)
    return fields
