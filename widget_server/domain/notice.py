"""A notice's purposes and the rules derived from them: validity, minimisation, rendering."""

from dataclasses import dataclass
from typing import Any

from widget_server.domain.errors import ValidationFailed
from widget_server.domain.lawful_basis import DataCategory, LawfulBasis

LAWFUL_BASES = frozenset(b.value for b in LawfulBasis)
DATA_CATEGORIES = frozenset(c.value for c in DataCategory)


@dataclass(frozen=True)
class Purpose:
    key: str
    basis: LawfulBasis
    data: frozenset[str]
    retention_days: int
    gates_recording: bool
    text: dict[str, dict[str, str]]

    @property
    def is_consent(self) -> bool:
        return self.basis is LawfulBasis.CONSENT


def validate_notice(content: dict[str, Any]) -> None:
    """Cross-field rules a schema cannot see. Raises ValidationFailed naming each bad place."""
    errors: dict[str, list[str]] = {}
    purposes = content.get("purposes") or []
    if not purposes:
        errors["purposes"] = ["A notice needs at least one purpose."]
    languages: set[str] = set()
    for purpose in purposes:
        languages.update((purpose.get("text") or {}).keys())
    seen: set[str] = set()
    for i, purpose in enumerate(purposes):
        where = f"purposes.{i}"
        key = purpose.get("key")
        if key in seen:
            errors[f"{where}.key"] = [f"Duplicate purpose key {key!r}."]
        seen.add(key)
        if purpose.get("lawful_basis") not in LAWFUL_BASES:
            errors[f"{where}.lawful_basis"] = [
                f"Unknown lawful basis {purpose.get('lawful_basis')!r}; "
                f"expected one of {', '.join(sorted(LAWFUL_BASES))}."
            ]
        unknown = [d for d in purpose.get("data", []) if d not in DATA_CATEGORIES]
        if unknown:
            errors[f"{where}.data"] = [
                f"Unknown data category {u!r}; expected one of "
                f"{', '.join(sorted(DATA_CATEGORIES))}." for u in unknown
            ]
        missing = sorted(languages - set((purpose.get("text") or {}).keys()))
        if missing:
            errors[f"{where}.text"] = [
                f"Purpose {key!r} has no text in language {lang!r}." for lang in missing
            ]
    default = content.get("default_language")
    if purposes and default not in languages:
        errors["default_language"] = [f"Default language {default!r} has no purpose texts."]
    if errors:
        raise ValidationFailed("The notice is not valid.", fields=errors)


def purposes_of(content: dict[str, Any]) -> list[Purpose]:
    return [
        Purpose(
            key=p["key"],
            basis=LawfulBasis(p["lawful_basis"]),
            data=frozenset(p.get("data", [])),
            retention_days=int(p["retention_days"]),
            gates_recording=bool(p.get("gates_recording", False)),
            text=p["text"],
        )
        for p in content["purposes"]
    ]


def languages_of(content: dict[str, Any]) -> list[str]:
    return sorted({lang for p in content["purposes"] for lang in p["text"]})


def choose_language(content: dict[str, Any], wanted: str | None) -> str:
    """The wanted language if the notice has it (also by its primary subtag), else the default."""
    available = languages_of(content)
    if wanted:
        if wanted in available:
            return wanted
        primary = wanted.split("-")[0].lower()
        if primary in available:
            return primary
    return str(content["default_language"])


def render(content: dict[str, Any], language: str) -> dict[str, Any]:
    """The notice as a participant sees it, in one language."""
    return {
        "name": content.get("name"),
        "controller": content.get("controller"),
        "privacy_policy_url": content.get("privacy_policy_url"),
        "language": language,
        "languages": languages_of(content),
        "purposes": [
            {
                "key": p["key"],
                "lawful_basis": p["lawful_basis"],
                "gates_recording": bool(p.get("gates_recording", False)),
                "data": list(p.get("data", [])),
                "retention_days": p["retention_days"],
                "title": p["text"][language]["title"],
                "description": p["text"][language].get("description", ""),
            }
            for p in content["purposes"]
        ],
    }
