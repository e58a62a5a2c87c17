"""Lawful bases of GDPR Art. 6(1) and the states each lets a participant reach (DESIGN §2)."""

from enum import StrEnum


class LawfulBasis(StrEnum):
    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


class DataCategory(StrEnum):
    DISPLAY_NAME = "display_name"
    EMAIL = "email"
    PHONE = "phone"


# The state a participant starts in, per basis: nothing is pre-selected for consent.
INITIAL_STATE: dict[LawfulBasis, str] = {
    LawfulBasis.CONSENT: "pending",
    LawfulBasis.LEGITIMATE_INTERESTS: "not_objected",
}
INFORMED = "informed"

# What a participant may send, per basis. Any other state is refused; the informational
# bases accept nothing: there is nothing to choose (never ask for consent where it is not the
# basis).
ALLOWED_CHOICES: dict[LawfulBasis, frozenset[str]] = {
    LawfulBasis.CONSENT: frozenset({"granted", "denied", "withdrawn"}),
    LawfulBasis.LEGITIMATE_INTERESTS: frozenset({"objected", "not_objected"}),
}

GRANTED = "granted"
OBJECTED = "objected"
NOT_OBJECTED = "not_objected"
ALL_STATES = ("pending", "granted", "denied", "withdrawn", "not_objected", "objected", INFORMED)


def initial_state(basis: LawfulBasis) -> str:
    return INITIAL_STATE.get(basis, INFORMED)


def allowed_choices(basis: LawfulBasis) -> frozenset[str]:
    return ALLOWED_CHOICES.get(basis, frozenset())


def transition_allowed(basis: LawfulBasis, current: str, new: str) -> bool:
    """Whether `current` may move to `new`: withdrawing needs a grant to withdraw."""
    if new not in allowed_choices(basis):
        return False
    if new == "withdrawn":
        return current == GRANTED
    return True
