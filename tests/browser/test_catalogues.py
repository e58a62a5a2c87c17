"""The UI string catalogues (static/i18n/*.json) are complete and match what the pages use.

No browser needed: the scripts and templates are scanned for the keys they use, t("…"), tp("…")
(a plural: "<key>.one" and "<key>.other") and data-i18n…="…".
"""

import json
import re
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
CATALOGUES = TOP / "static" / "i18n"
LANGUAGES = ("en", "de", "fr", "es", "nl")

KEY = r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+"
CALL = re.compile(r"\b(t|tp)\(\s*\"(" + KEY + r")\"")
ATTRIBUTE = re.compile(r"\bdata-i18n(?:-[a-z-]+)?=\"(" + KEY + r")\"")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalogue(language: str) -> dict[str, str]:
    data = json.loads((CATALOGUES / f"{language}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def used_keys() -> dict[str, str]:
    """Each key the pages use, with where it is used."""
    used: dict[str, str] = {}
    scripts = (p for p in (TOP / "static").rglob("*.js") if "vendor" not in p.parts)
    for script in sorted(scripts):
        text = _without_comments(script.read_text(encoding="utf-8"))
        for kind, key in CALL.findall(text):
            keys = [f"{key}.one", f"{key}.other"] if kind == "tp" else [key]
            for k in keys:
                used.setdefault(k, script.name)
    for template in sorted((TOP / "templates").glob("*.html")):
        for key in ATTRIBUTE.findall(template.read_text(encoding="utf-8")):
            used.setdefault(key, template.name)
    return used


def _without_comments(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$", "", source)


def test_every_language_has_a_catalogue() -> None:
    found = sorted(p.stem for p in CATALOGUES.glob("*.json"))
    assert found == sorted(LANGUAGES)
    supported = re.search(r"SUPPORTED = \[([^\]]*)\]", (TOP / "static" / "i18n.js").read_text())
    assert supported is not None
    assert sorted(re.findall(r"\"(\w+)\"", supported.group(1))) == sorted(LANGUAGES)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_catalogue_has_every_english_key_and_no_other(language: str) -> None:
    english, other = catalogue("en"), catalogue(language)
    assert sorted(set(english) - set(other)) == [], f"{language}.json lacks these keys"
    assert sorted(set(other) - set(english)) == [], f"{language}.json has keys English lacks"


@pytest.mark.parametrize("language", LANGUAGES)
def test_strings_are_filled_and_keep_their_placeholders(language: str) -> None:
    english, other = catalogue("en"), catalogue(language)
    for key, text in other.items():
        assert isinstance(text, str) and text.strip(), f"{language}: {key} is empty"
        if key in english:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), (
                f"{language}: {key} has other placeholders than English")


def test_every_string_the_pages_use_is_in_the_english_catalogue() -> None:
    english = catalogue("en")
    missing = {key: where for key, where in used_keys().items() if key not in english}
    assert missing == {}, "used in the UI but missing from en.json"


def test_every_english_string_is_used() -> None:
    unused = sorted(set(catalogue("en")) - set(used_keys()))
    assert unused == [], "in en.json but used nowhere (remove it, or use it as a literal key)"


def test_the_scanner_finds_keys() -> None:
    # Guards the scan itself: a broken pattern would make the two tests above pass vacuously.
    assert len(used_keys()) > 50
