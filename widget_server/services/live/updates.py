"""What hosts are told: one shape for a participant and one for an update, live and on resync.

Stored updates (CallUpdate.snapshot) hold no personal data; the label is rendered when an
update is sent or read, from the display name held at that moment.
"""

from datetime import datetime
from typing import Any


def label(number: int, display_name: str | None, pseudonym: str | None = None) -> str:
    """The host sees a name only where a purpose needs one (then it is held); else a pseudonym:
    a phone caller's own ("Phone ••56"), or "Participant 7"."""
    return display_name or pseudonym or f"Participant {number}"


def pseudonym_of(channel: str, ref: str | None) -> str | None:
    """A phone caller's pseudonym is their ref, the label made at join from the last two
    digits of their number (services/phone/numbers.py); nobody else has one of their own."""
    return ref if channel == "phone" else None


def snapshot_of(row: dict[str, Any], states: dict[str, str]) -> dict[str, Any]:
    """A participant as stored with an update: pseudonymous."""
    since: datetime | None = row["blocking_since"]
    snapshot = {"id": row["id"], "number": row["number"], "channel": row["channel"],
                "present": row["present"], "state": dict(states),
                "blocking": since is not None,
                "blocking_since": since.isoformat() if since is not None else None,
                "updated_at": row["updated_at"].isoformat()}
    pseudonym = pseudonym_of(row["channel"], row.get("ref"))
    if pseudonym is not None:
        snapshot["pseudonym"] = pseudonym
    return snapshot


def shown(snapshot: dict[str, Any], display_name: str | None) -> dict[str, Any]:
    """A stored participant snapshot as hosts see it: the number becomes the label."""
    person = dict(snapshot)
    person["label"] = label(person.pop("number"), display_name, person.pop("pseudonym", None))
    person.setdefault("blocking", False)  # updates stored before these facts existed
    person.setdefault("blocking_since", None)
    return person


def host_update(seq: int, kind: str, snapshot: dict[str, Any], display_name: str | None
                ) -> dict[str, Any]:
    """An update as hosts receive it, from what was stored."""
    update: dict[str, Any] = {"seq": seq, "kind": kind, "summary": snapshot["summary"],
                              "gate": snapshot["gate"]}
    if "participant" in snapshot:
        update["participant"] = shown(snapshot["participant"], display_name)
    if "notice" in snapshot:  # kind notice_changed
        update["notice"] = snapshot["notice"]
    return update
