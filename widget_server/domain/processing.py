"""The processing plan (CONTRACT §D): what a processor of one purpose may do now.

Pure rules: who may be processed for a purpose (the same rule minimisation keeps data by, so a
plan never allows what the data held does not), whether the processing may run at all, and
which data a processor sees: only what its purpose needs, only while that participant allows it;
never another purpose's data.
"""

from dataclasses import dataclass
from typing import Any

from widget_server.domain.minimisation import applies
from widget_server.domain.notice import Purpose


@dataclass(frozen=True)
class Subject:
    """A participant as a plan sees them: pseudonymous id, the meeting platform's ref, their
    state for the plan's purpose and the personal fields held now."""

    id: str
    ref: str | None
    present: bool
    state: str | None
    held: dict[str, str]


def may_process(purpose: Purpose | None, state: str | None) -> bool:
    """Consent: granted; legitimate interest: not objected; any other basis: yes. A purpose
    the call's notice no longer has allows nothing."""
    return purpose is not None and applies(purpose, state)


def plan_entry(purpose: Purpose | None, subject: Subject) -> dict[str, Any]:
    allowed = may_process(purpose, subject.state)
    entry: dict[str, Any] = {"id": subject.id, "ref": subject.ref, "state": subject.state,
                             "present": subject.present, "allowed": allowed}
    if allowed and purpose is not None:
        entry["fields"] = {name: subject.held[name] for name in sorted(purpose.data)
                           if subject.held.get(name)}
    return entry


def plan_for(purpose_key: str, purpose: Purpose | None, recording_allowed: bool,
             subjects: list[Subject]) -> dict[str, Any]:
    """The plan without its seq: per participant whether they may be processed (and the data
    for it), and whether the processing may run at all: the recording gate for a purpose that
    gates recording, else whether anyone may be processed."""
    entries = [plan_entry(purpose, s) for s in subjects]
    if purpose is not None and purpose.gates_recording:
        allowed = recording_allowed
    else:
        allowed = any(e["allowed"] for e in entries)
    return {"purpose": purpose_key, "allowed": allowed, "participants": entries}
