"""The spoken notice (CONTRACT §E): what a phone bridge says to one caller and which keys it
expects, built from the call's notice, in the caller's language, for their states now.

Steps, in order: the notice (the controller and every purpose in short), one step per choice
the caller can make (consent: 1 accept, 2 decline; legitimate interests: 9 object, 1
continue), and a confirmation of what is recorded (0 to change). `*` repeats any step.
Informational purposes (contract, …) are spoken in the notice step: there is nothing to
choose for them.

Step ids are `<participant id>:<name>`, so a step of another caller's script is recognisably
not this caller's.
"""

from dataclasses import dataclass
from typing import Any

from widget_server.domain.lawful_basis import GRANTED, LawfulBasis
from widget_server.domain.notice import Purpose, choose_language, languages_of
from widget_server.services.phone.texts import FALLBACK, LANGUAGES, VOICES, phrase

REPEAT = "*"
NOTICE, CONFIRM, PURPOSE = "notice", "confirm", "purpose."


@dataclass(frozen=True)
class Spoken:
    """The caller's language: the notice's (texts) and the phrases' (one of the five)."""

    notice: str
    phrases: str

    @property
    def voice(self) -> str:
        return VOICES[self.phrases]


def spoken_language(content: dict[str, Any], wanted: str | None) -> Spoken:
    """The language to speak: the wanted one where both the notice and the phrases have it,
    else the notice's default, else any language both have; failing all, the notice's
    default with English phrases around it."""
    available = languages_of(content)
    first = choose_language(content, wanted)
    candidates = [first, str(content["default_language"]), *available]
    for language in candidates:
        primary = language.split("-")[0].lower()
        if primary in LANGUAGES:
            return Spoken(language, primary)
    return Spoken(first, FALLBACK)


def steps(content: dict[str, Any], purposes: list[Purpose], states: dict[str, str],
          participant_id: str, spoken: Spoken) -> list[dict[str, Any]]:
    """The whole script for one caller now, each step `{"id", "say", "expect", "next"}`;
    `expect` maps each key to what it does: `{"purpose", "state"}` (a decision) or
    `{"action": "continue" | "repeat" | "restart"}`."""
    choosing = [p for p in purposes if _can_choose(p)]
    ids = [NOTICE, *(PURPOSE + p.key for p in choosing), CONFIRM]
    script = [_notice(content, purposes, spoken)]
    script += [_choice(p, states.get(p.key), spoken) for p in choosing]
    script.append(_confirmation(choosing, states, spoken))
    for index, step in enumerate(script):
        step["id"] = f"{participant_id}:{ids[index]}"
        step["next"] = (f"{participant_id}:{ids[index + 1]}" if index + 1 < len(ids)
                        else None)
        step["expect"][REPEAT] = {"action": "repeat"}
        if step["expect"].get("0") == {"action": "restart"}:
            step["expect"]["0"]["to"] = f"{participant_id}:{ids[1 if choosing else 0]}"
    return [{key: step[key] for key in ("id", "say", "expect", "next")} for step in script]


def _can_choose(purpose: Purpose) -> bool:
    return purpose.basis in (LawfulBasis.CONSENT, LawfulBasis.LEGITIMATE_INTERESTS)


def _text(purpose: Purpose, language: str) -> dict[str, str]:
    return purpose.text.get(language) or next(iter(purpose.text.values()))


def _notice(content: dict[str, Any], purposes: list[Purpose], spoken: Spoken
            ) -> dict[str, Any]:
    lang = spoken.phrases
    controller = str((content.get("controller") or {}).get("name", ""))
    titles = "; ".join(_text(p, spoken.notice)["title"] for p in purposes)
    parts = [phrase(lang, "intro", controller=controller), phrase(lang, "purposes",
                                                                 titles=titles)]
    if content.get("privacy_policy_url"):
        parts.append(phrase(lang, "policy", url=str(content["privacy_policy_url"])))
    parts.append(phrase(lang, "continue"))
    return {"say": " ".join(parts), "expect": {"1": {"action": "continue"}}}


def _choice(purpose: Purpose, state: str | None, spoken: Spoken) -> dict[str, Any]:
    text = _text(purpose, spoken.notice)
    values = {"title": text["title"], "description": text.get("description", "").strip()}
    if purpose.basis is LawfulBasis.CONSENT:
        # Declining what was granted is withdrawing it (Art. 7(3)): the same key, as easy.
        decline = "withdrawn" if state == GRANTED else "denied"
        expect = {"1": {"purpose": purpose.key, "state": GRANTED},
                  "2": {"purpose": purpose.key, "state": decline}}
        say = phrase(spoken.phrases, "consent", **values)
    else:
        expect = {"9": {"purpose": purpose.key, "state": "objected"},
                  "1": {"purpose": purpose.key, "state": "not_objected"}}
        say = phrase(spoken.phrases, "objection", **values)
    return {"say": " ".join(say.split()), "expect": expect}


def _confirmation(choosing: list[Purpose], states: dict[str, str], spoken: Spoken
                  ) -> dict[str, Any]:
    lang = spoken.phrases
    if not choosing:
        return {"say": phrase(lang, "nothing"), "expect": {}}
    choices = "; ".join(f"{_text(p, spoken.notice)['title']}: "
                        f"{phrase(lang, states.get(p.key, 'pending'))}" for p in choosing)
    return {"say": f"{phrase(lang, 'recorded', choices=choices)} {phrase(lang, 'change')}",
            "expect": {"0": {"action": "restart"}}}


def step_named(script: list[dict[str, Any]], step_id: str) -> dict[str, Any] | None:
    return next((step for step in script if step["id"] == step_id), None)
