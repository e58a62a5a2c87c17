"""What a notice discloses beyond its purposes (GDPR Art. 13): rules across fields, and rendering.

The schema checks each field's shape; the rules here need the whole notice: which purposes may gate
recording, which must state a legitimate interest (and in which languages), and that recipients
name purposes the notice has. Rendering picks the participant's language.
"""

from typing import Any

from widget_server.domain.lawful_basis import LawfulBasis

# A gate needs a state the participant can change: a grant (consent) or an objection (Art. 21).
GATING_BASES = frozenset({LawfulBasis.CONSENT.value, LawfulBasis.LEGITIMATE_INTERESTS.value})
_KNOWN_BASES = frozenset(b.value for b in LawfulBasis)


def disclosure_errors(content: dict[str, Any], languages: set[str]) -> dict[str, list[str]]:
    """Each offending place (`purposes.0.gates_recording`, …) mapped to its messages."""
    errors: dict[str, list[str]] = {}
    purposes = content.get("purposes") or []
    for i, purpose in enumerate(purposes):
        where = f"purposes.{i}"
        basis = purpose.get("lawful_basis")
        if basis not in _KNOWN_BASES:
            continue  # the unknown basis is the error to report (validate_notice names it)
        if purpose.get("gates_recording") and basis not in GATING_BASES:
            errors[f"{where}.gates_recording"] = [
                f"Only consent and legitimate_interests purposes may gate recording; a "
                f"{basis!r} purpose cannot be decided by the participant, so it would block "
                f"recording for ever."]
        interest = purpose.get("legitimate_interest")
        if basis == LawfulBasis.LEGITIMATE_INTERESTS.value:
            if not interest:
                errors[f"{where}.legitimate_interest"] = [
                    "A legitimate_interests purpose must state the interest pursued "
                    "(Art. 13(1)(d)), in every language of the notice."]
            else:
                missing = sorted(languages - set(interest))
                extra = sorted(set(interest) - languages)
                messages = [f"No legitimate interest text in language {lang!r}."
                            for lang in missing]
                messages += [f"Language {lang!r} has no purpose texts." for lang in extra]
                if messages:
                    errors[f"{where}.legitimate_interest"] = messages
        elif interest is not None:
            errors[f"{where}.legitimate_interest"] = [
                f"Only legitimate_interests purposes state a legitimate interest; this one's "
                f"basis is {basis!r}."]
        processes = purpose.get("processes") or []
        if len(set(processes)) != len(processes):
            errors[f"{where}.processes"] = ["Name each kind of processing once."]
    keys = {p.get("key") for p in purposes}
    for i, recipient in enumerate(content.get("recipients") or []):
        unknown = [k for k in recipient.get("purposes", []) if k not in keys]
        if unknown:
            errors[f"recipients.{i}.purposes"] = [
                f"The notice has no purpose {k!r}." for k in unknown]
    return errors


def render_disclosures(content: dict[str, Any]) -> dict[str, Any]:
    """The notice-wide disclosures as a participant sees them (absent ones as null or [])."""
    return {
        "dpo": content.get("dpo"),
        "recipients": list(content.get("recipients") or []),
        "transfers": list(content.get("transfers") or []),
        "supervisory_authority": content.get("supervisory_authority"),
    }


def render_purpose_disclosures(purpose: dict[str, Any], language: str) -> dict[str, Any]:
    """A purpose's disclosures in `language` (defaults stated: not required, no automation)."""
    interest = purpose.get("legitimate_interest")
    return {
        "legitimate_interest": interest.get(language) if interest else None,
        "required": bool(purpose.get("required", False)),
        "automated_decisions": bool(purpose.get("automated_decisions", False)),
        "processes": list(purpose.get("processes") or []),
    }
