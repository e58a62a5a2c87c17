"""Minimisation by construction (DESIGN §2): which personal fields a participant may hold,
when they are asked for, and when they are erased.

- Data a non-consent purpose needs is asked at join.
- Data only consent purposes need is asked with the grant of such a purpose.
- A field is erased as soon as no purpose that still applies needs it: a consent purpose
  withdrawn or denied, a legitimate-interest purpose objected to (Art. 21), whichever happens.
"""

from widget_server.domain.lawful_basis import GRANTED, NOT_OBJECTED, OBJECTED, LawfulBasis
from widget_server.domain.notice import DATA_CATEGORIES, Purpose

# A phone bridge may know no name for a caller (no directory entry): there a name is taken
# where a purpose needs one but never demanded.
NOT_DEMANDED_ON = {"phone": frozenset({"display_name"})}


def demanded(required: frozenset[str], channel: str) -> frozenset[str]:
    """The required fields a client on this channel must give."""
    return required - NOT_DEMANDED_ON.get(channel, frozenset())


def from_bridge(given: dict[str, str], allowed: frozenset[str], channel: str
                ) -> dict[str, str]:
    """What a decision keeps of the fields a client sent. A phone bridge sends what it knows
    of the caller with every key, not knowing which key turns a purpose on: there what the
    decision does not allow is left out (never stored), where any other client is refused."""
    if channel not in NOT_DEMANDED_ON or not isinstance(given, dict):
        return given
    return {name: value for name, value in given.items() if name in allowed}


def fields_at_join(purposes: list[Purpose]) -> frozenset[str]:
    """Data a participant gives when joining: what the non-consent purposes need."""
    return frozenset().union(*(p.data for p in purposes if not p.is_consent))


def applies(purpose: Purpose, state: str | None) -> bool:
    """Whether a purpose's processing applies to a participant in this state."""
    if purpose.basis is LawfulBasis.CONSENT:
        return state == GRANTED
    if purpose.basis is LawfulBasis.LEGITIMATE_INTERESTS:
        return state != OBJECTED
    return True


def fields_to_keep(purposes: list[Purpose], states: dict[str, str]) -> frozenset[str]:
    """Data a participant may hold now: what the purposes that apply to them need."""
    return frozenset().union(*(p.data for p in purposes if applies(p, states.get(p.key))))


def fields_to_erase(purposes: list[Purpose], states: dict[str, str]) -> frozenset[str]:
    """Data to erase at once after a change of states: what no applying purpose needs."""
    return DATA_CATEGORIES - fields_to_keep(purposes, states)


def grant_fields(purpose: Purpose, purposes: list[Purpose]) -> frozenset[str]:
    """Fields a grant of this consent purpose asks for (those not already asked at join)."""
    if not purpose.is_consent:
        return frozenset()
    return purpose.data - fields_at_join(purposes)


def fields_for_decision(purposes: list[Purpose], before: dict[str, str],
                        wanted: dict[str, str], held: frozenset[str]
                        ) -> tuple[frozenset[str], frozenset[str]]:
    """(allowed, required) fields of a decision: those of the purposes it turns on (a grant,
    or taking an objection back) that are not held yet. A held consent-only field may be
    given again (corrected); a held join field may not (it was given at join)."""
    turning_on = [p for p in purposes if p.key in wanted
                  and wanted[p.key] in (GRANTED, NOT_OBJECTED)
                  and not applies(p, before.get(p.key))]
    granting = [p for p in purposes if p.is_consent and wanted.get(p.key) == GRANTED]
    needed = frozenset().union(*(p.data for p in [*turning_on, *granting]))
    allowed = needed - (fields_at_join(purposes) & held)
    return allowed, needed - held
