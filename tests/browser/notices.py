"""A seeded, generated set of notices covering the shapes an organisation may write.

Every mix of purpose kinds (consent, legitimate interest, informational), data needed at join
(by a non-consent purpose) and only at grant (by consent purposes alone), one to five languages,
short and long texts, gating or not. The same seed always gives the same set, so a failure names
a notice that can be looked at again.
"""

import itertools
import random
from dataclasses import dataclass
from typing import Any

SEED = 20261202
LANGUAGES = ("en", "de", "fr", "es", "nl")
KINDS = ("consent", "legitimate_interests", "informational")
INFORMATIONAL_BASES = ("contract", "legal_obligation", "vital_interests", "public_task")
FIELDS = ("display_name", "email", "phone")
VALUES = {"display_name": "Ada Lovelace", "email": "ada@example.org", "phone": "+44 20 7946 0000"}
WORDS = ("lecture", "notes", "archive", "attendance", "seminar", "survey", "transcript", "room",
         "feedback", "credit", "captions", "summary", "quality", "safety", "records")


@dataclass
class Generated:
    index: int
    content: dict[str, Any]
    join_fields: list[str]  # what the widget must ask at join
    grant_fields: dict[str, list[str]]  # consent purpose → what its grant asks (nothing held)

    @property
    def language(self) -> str:
        """The language the widget shows in an en-GB browser: English if the notice has it."""
        offered = self.content["purposes"][0]["text"]
        return "en" if "en" in offered else str(self.content["default_language"])

    def purposes(self) -> list[dict[str, Any]]:
        return list(self.content["purposes"])

    def title(self, purpose: dict[str, Any]) -> str:
        return str(purpose["text"][self.language]["title"])


def _text(rng: random.Random, long: bool, language: str, what: str) -> str:
    count = rng.randint(40, 60) if long else rng.randint(3, 8)
    words = " ".join(rng.choice(WORDS) for _ in range(count))
    return f"{what} ({language}) {words}"[: 2000 if long else 200]


def generate(count: int = 32) -> list[Generated]:
    """`count` notices; the first seven cover each non-empty mix of kinds, the rest vary."""
    rng = random.Random(SEED)
    mixes = [m for r in (1, 2, 3) for m in itertools.combinations(KINDS, r)]
    notices = []
    for index in range(count):
        kinds = list(mixes[index % len(mixes)])
        if index >= len(mixes):  # later ones repeat kinds, so several purposes of one kind
            kinds += [rng.choice(kinds) for _ in range(rng.randint(0, 2))]
        languages = list(LANGUAGES[: 1 + index % 5])
        rng.shuffle(languages)
        long = index % 3 == 0
        purposes = []
        for number, kind in enumerate(kinds):
            basis = kind if kind != "informational" else rng.choice(INFORMATIONAL_BASES)
            data = sorted(rng.sample(FIELDS, rng.randint(0, 2)))
            key = f"p{number}_{kind[:4]}"
            title_length = 140 if long and number == 0 else 0
            purpose: dict[str, Any] = {
                "key": key, "lawful_basis": basis, "data": data,
                "retention_days": rng.choice([1, 7, 30, 365, 3650]),
                "text": {lang: {"title": (_text(rng, False, lang, f"Purpose {number}")
                                          + " " + "long title " * (title_length // 11))[:200].strip(),
                                "description": _text(rng, long, lang, "About")}
                         for lang in languages}}
            if kind in ("consent", "legitimate_interests") and rng.random() < 0.5:
                purpose["gates_recording"] = True
            if basis == "legitimate_interests":
                purpose["legitimate_interest"] = {lang: _text(rng, long, lang, "Interest")
                                                  for lang in languages}
            if rng.random() < 0.3:
                purpose["processes"] = rng.sample(["audio", "video", "chat", "transcript"], 2)
            purposes.append(purpose)
        content: dict[str, Any] = {
            "name": f"Generated notice {index}" + (" with a long name" * 4 if long else ""),
            "controller": {"name": f"Controller {index} Ltd", "contact_email": f"c{index}@example.org"},
            "privacy_policy_url": "https://example.org/privacy",
            "default_language": languages[0],
            "purposes": purposes,
        }
        if index % 4 == 1:
            content["dpo"] = {"contact_email": "dpo@example.org"}
            content["supervisory_authority"] = {"name": "Example DPA", "url": "https://dpa.example"}
        if index % 5 == 2:
            content["recipients"] = [{"name": "Processor Co", "role": "processor",
                                      "purposes": [purposes[0]["key"]], "country": "US"}]
            content["transfers"] = [{"country": "US", "safeguard": "standard_contractual_clauses"}]
        at_join = sorted({f for p in purposes if p["lawful_basis"] != "consent" for f in p["data"]})
        grants = {p["key"]: [f for f in p["data"] if f not in at_join]
                  for p in purposes if p["lawful_basis"] == "consent"}
        notices.append(Generated(index, content, at_join, grants))
    return notices


def coverage(notices: list[Generated]) -> dict[str, set[Any]]:
    """What the set covers, for a test that keeps it covering everything."""
    return {
        "mixes": {frozenset("informational" if p["lawful_basis"] not in KINDS else p["lawful_basis"]
                            for p in n.purposes()) for n in notices},
        "languages": {len(n.content["purposes"][0]["text"]) for n in notices},
        "join_fields": {bool(n.join_fields) for n in notices},
        "grant_fields": {any(n.grant_fields.values()) for n in notices},
        "long": {len(n.content["purposes"][0]["text"][n.language]["description"]) > 200
                 for n in notices},
    }
