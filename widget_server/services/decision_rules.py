"""The checks a decision passes before anything of it is written, and what its hash covers."""

from datetime import datetime
from typing import Any

from widget_server.domain.errors import InvalidState, ValidationFailed
from widget_server.domain.errors import UnknownPurpose as UnknownPurposeError
from widget_server.domain.fields import check_fields
from widget_server.domain.lawful_basis import GRANTED, allowed_choices, transition_allowed
from widget_server.domain.notice import Purpose, fields_at_join

MAX_EVENT_ID = 64


def checked_choices(choices: Any, purposes: dict[str, Purpose], current: dict[str, str]
                    ) -> dict[str, str]:
    """Each purpose known, each state one its lawful basis lets the participant choose now."""
    if not isinstance(choices, dict) or not choices:
        raise ValidationFailed("choices must be a non-empty object of purpose → state.",
                               fields={"choices": ["A non-empty object."]})
    for key, state in choices.items():
        purpose = purposes.get(key)
        if purpose is None:
            raise UnknownPurposeError(f"The notice has no purpose {key!r}.",
                                      fields={key: ["Unknown purpose."]})
        if not isinstance(state, str) or not transition_allowed(purpose.basis, current[key],
                                                                state):
            allowed = ", ".join(sorted(allowed_choices(purpose.basis))) or "nothing"
            raise InvalidState(
                f"{state!r} is not a choice for {key!r} (lawful basis {purpose.basis.value}, "
                f"now {current[key]}); allowed: {allowed}.", fields={key: ["Not allowed."]})
    return dict(choices)


def checked_fields(fields: Any, purposes: list[Purpose], wanted: dict[str, str],
                   held: set[str]) -> dict[str, str]:
    """Fields may come only with the grant of a consent purpose that needs them, and must
    come then unless already held."""
    granting = [p for p in purposes if p.is_consent and wanted.get(p.key) == GRANTED]
    allowed = frozenset().union(*(p.data for p in granting)) - fields_at_join(purposes)
    return check_fields(fields, allowed, allowed - held,
                        "by the purposes granted in this decision")


def gate_ok_for(purposes: list[Purpose], states: dict[str, str]) -> bool:
    """Whether this participant lets recording run: every gating purpose granted."""
    return all(states.get(p.key) == GRANTED for p in purposes if p.gates_recording)


def instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


HASHED = ("call_id", "seq", "event_id", "participant_id", "purpose", "state", "notice_version",
          "notice_hash", "language", "channel")


def ledger_fields(event: Any) -> dict[str, Any]:
    """What an event's hash covers: everything it proves except the hashes themselves."""
    fields = {name: getattr(event, name) for name in HASHED}
    fields["recorded_at"] = instant(event.recorded_at)
    return fields
