"""Which choices a participant may make: the lawful basis decides (DESIGN §2, Purpose)."""

from typing import Any

from widget_server.domain.errors import InvalidState, UnknownPurpose, ValidationFailed
from widget_server.domain.lawful_basis import allowed_choices, transition_allowed
from widget_server.domain.notice import Purpose


def checked_choices(choices: Any, purposes: dict[str, Purpose], current: dict[str, str]
                    ) -> dict[str, str]:
    """Each purpose known, each state one its lawful basis lets the participant choose now."""
    if not isinstance(choices, dict) or not choices:
        raise ValidationFailed("choices must be a non-empty object of purpose → state.",
                               fields={"choices": ["A non-empty object."]})
    for key, state in choices.items():
        purpose = purposes.get(key)
        if purpose is None:
            raise UnknownPurpose(f"The notice has no purpose {key!r}.",
                                 fields={key: ["Unknown purpose."]})
        if not isinstance(state, str) or not transition_allowed(purpose.basis, current[key],
                                                                state):
            allowed = ", ".join(sorted(allowed_choices(purpose.basis))) or "nothing"
            raise InvalidState(
                f"{state!r} is not a choice for {key!r} (lawful basis {purpose.basis.value}, "
                f"now {current[key]}); allowed: {allowed}.", fields={key: ["Not allowed."]})
    return dict(choices)
