"""Shared by the dial-in tests: notices that need (or not) the caller's number, and a client of
the phone bridge's REST surface."""

from typing import Any

LANGUAGES = ("en", "de", "fr", "es", "nl")
NUMBER = "+49 30 901820 56"
E164 = "+493090182056"


def _text(title: str) -> dict[str, dict[str, str]]:
    return {lang: {"title": f"{title} ({lang})", "description": f"About {title} ({lang})."}
            for lang in LANGUAGES}


def phone_notice(*, phone_basis: str | None = None) -> dict[str, Any]:
    """Recording (consent, gating) and attendance (legitimate interest, gating), in the five
    languages; with `phone_basis`, a purpose `callback` of that basis that needs `phone`."""
    purposes: list[dict[str, Any]] = [
        {"key": "recording", "lawful_basis": "consent", "gates_recording": True, "data": [],
         "retention_days": 30, "text": _text("Recording")},
        {"key": "attendance", "lawful_basis": "legitimate_interests", "gates_recording": True,
         "data": [], "retention_days": 30,
         "legitimate_interest": {lang: "Knowing who attended." for lang in LANGUAGES},
         "text": _text("Attendance")},
        {"key": "service", "lawful_basis": "contract", "data": [], "retention_days": 30,
         "text": _text("Running the call")},
    ]
    if phone_basis is not None:
        purpose: dict[str, Any] = {"key": "callback", "lawful_basis": phone_basis,
                                   "data": ["phone"], "retention_days": 7,
                                   "text": _text("Call back")}
        if phone_basis == "legitimate_interests":
            purpose["legitimate_interest"] = {lang: "Calling back." for lang in LANGUAGES}
        purposes.append(purpose)
    return {"name": "Dial-in", "privacy_policy_url": "https://example.edu/privacy",
            "controller": {"name": "Example University", "contact_email": "dpo@example.edu"},
            "default_language": "en", "purposes": purposes}


def step(script: dict[str, Any], name: str) -> str:
    """The id of a step by its name (notice, purpose.<key>, confirm)."""
    [found] = [s["id"] for s in script["steps"] if s["id"].split(":", 1)[1] == name]
    return str(found)
