"""What live clients ask of a call: the commands of the live write path.

Each is checked for shape at the edge (sockets/payloads.py, the REST schemas) before it is
built, so every field here is already text any database can store.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Join:
    """A participant comes in (new, or back with their resume secret) having seen the notice
    whose hash is `seen_hash`."""

    call_id: str
    seen_hash: str
    fields: dict[str, str] = field(default_factory=dict)
    language: str | None = None
    resume: str | None = None
    channel: str = "widget"
    # The serving process that holds the connection (its lease id; services/leases.py).
    process: str | None = None
    # Not personal: a phone caller's label ("Phone ••56") or the meeting platform's id (the
    # snippet's data-participant-ref).
    ref: str | None = None

    @property
    def participant_id(self) -> str | None:
        """The participant a resume secret names (checked against its hash when applied)."""
        if self.resume is None or "." not in self.resume:
            return None
        return self.resume.split(".", 1)[0]


@dataclass(frozen=True)
class Leave:
    """One of the participant's connections closed (the last one closing means gone)."""

    call_id: str
    participant_id: str


@dataclass(frozen=True)
class MarkAway:
    """Not connected any more, however many connections were counted (a restart, a ghost).

    With `process`: gone because that process died or stopped; a participant whose
    connection another process holds by now (they came back through it) is left alone."""

    call_id: str
    participant_id: str
    process: str | None = None


@dataclass(frozen=True)
class Decide:
    """A participant's choices, idempotent on `event_id` (a UUID)."""

    call_id: str
    participant_id: str
    event_id: str
    choices: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    # widget (live); manage (the participant's manage link) and api (the controller) may also
    # decide after the end, within domain/rights.py's rules.
    channel: str = "widget"
    # The notice the choices were made on, when the client says: another than the call's
    # current one (changed meanwhile) is refused with stale_notice.
    seen_hash: str | None = None


@dataclass(frozen=True)
class Erase:
    """Erase every personal field of a participant now, whatever the purposes (Art. 17);
    allowed at any time, also after the call. `channel`: manage or api."""

    call_id: str
    participant_id: str
    channel: str = "manage"


@dataclass(frozen=True)
class EndCall:
    """Nobody can join or decide any more; everyone leaves; retention starts."""

    call_id: str


@dataclass(frozen=True)
class ChangeNotice:
    """Move an open call to a later version of its own notice: unchanged purposes keep their
    state, new and changed ones start anew (services/live/notice_change.py)."""

    call_id: str
    version: int
    notice_id: str | None = None  # when given, it must be the call's own notice


Command = Join | Leave | MarkAway | Decide | Erase | EndCall | ChangeNotice


@dataclass(frozen=True)
class Policy:
    """Limits the operator sets (configuration), applied by the rules."""

    max_participants: int = 0  # per call; 0 means no limit
