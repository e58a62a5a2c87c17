"""The spoken notice (CONTRACT §E): the same prompts as JSON steps and as TwiML, in each of the
widget's five languages; TwiML that parses and uses only TwiML's verbs and attributes."""

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest

from tests.api.conftest import Api
from tests.api.test_phone import Bridge, open_call
from tests.phone_support import LANGUAGES, phone_notice
from widget_server.services.phone.texts import PHRASES, VOICES

# TwiML's verbs and nouns, and the attributes each takes (twilio.com/docs/voice/twiml); what
# the script writes must be among them.
TWIML = {
    "Response": set(),
    "Say": {"voice", "language", "loop"},
    "Gather": {"action", "method", "timeout", "finishOnKey", "numDigits", "input",
               "actionOnEmptyResult", "language", "hints", "partialResultCallback",
               "partialResultCallbackMethod", "profanityFilter", "speechTimeout",
               "speechModel", "enhanced"},
    "Play": {"loop", "digits"}, "Pause": {"length"}, "Redirect": {"method"}, "Hangup": set(),
    "Dial": {"action", "method", "timeout", "callerId", "record"}, "Reject": {"reason"},
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture
def bridge(api: Api) -> Bridge:
    return Bridge(api, open_call(api, phone_notice(phone_basis="consent")))


def twiml(bridge: Bridge, pid: str, query: str = "") -> ElementTree.Element:
    response = bridge.script(pid, f"?format=twiml{query}")
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return ElementTree.fromstring(response.data)  # parses, or the test fails


def only_twiml(element: ElementTree.Element) -> None:
    assert element.tag in TWIML, element.tag
    assert set(element.attrib) <= TWIML[element.tag], (element.tag, element.attrib)
    for child in element:
        only_twiml(child)


@pytest.mark.parametrize("language", LANGUAGES)
def test_json_and_twiml_carry_the_same_prompts_in_each_language(
        bridge: Bridge, language: str) -> None:
    pid = bridge.joined(language=language)["id"]
    script = bridge.script(pid).get_json()
    assert script["language"] == language and script["voice"] == VOICES[language]
    names = [s["id"].split(":", 1)[1] for s in script["steps"]]
    assert names == ["notice", "purpose.recording", "purpose.attendance", "purpose.callback",
                     "confirm"]
    root = twiml(bridge, pid)
    only_twiml(root)
    assert root.tag == "Response"
    gathers = root.findall("Gather")
    assert [g.find("Say").text for g in gathers] == [s["say"] for s in script["steps"]]
    for gather, step in zip(gathers, script["steps"], strict=True):
        assert gather.get("numDigits") == "1" and gather.get("method") == "POST"
        assert gather.find("Say").get("language") == VOICES[language]
        action = urlsplit(gather.get("action", ""))
        assert action.path == f"/api/v1/phone/participants/{pid}/keys"
        assert parse_qs(action.query) == {"step": [step["id"]]}
    # Spoken in the caller's language: the notice's texts and the phrases around them.
    notice_step = script["steps"][0]["say"]
    assert f"Recording ({language})" in notice_step
    assert PHRASES[language]["continue"] in notice_step
    assert "Example University" in notice_step


def test_each_choice_expects_its_keys(bridge: Bridge) -> None:
    pid = bridge.joined()["id"]
    steps = {s["id"].split(":", 1)[1]: s for s in bridge.script(pid).get_json()["steps"]}
    repeat = {"action": "repeat"}
    assert steps["notice"]["expect"] == {"1": {"action": "continue"}, "*": repeat}
    assert steps["purpose.recording"]["expect"] == {
        "1": {"purpose": "recording", "state": "granted"},
        "2": {"purpose": "recording", "state": "denied"}, "*": repeat}
    assert steps["purpose.attendance"]["expect"] == {
        "9": {"purpose": "attendance", "state": "objected"},
        "1": {"purpose": "attendance", "state": "not_objected"}, "*": repeat}
    assert steps["confirm"]["expect"]["0"]["action"] == "restart"
    assert steps["confirm"]["next"] is None
    assert "Running the call (en)" in steps["notice"]["say"]  # informational: told, not asked
    assert all("Running the call" not in s["say"] for k, s in steps.items() if k != "notice")


def test_the_script_can_start_at_a_step(bridge: Bridge) -> None:
    pid = bridge.joined()["id"]
    full = bridge.script(pid).get_json()["steps"]
    later = bridge.script(pid, f"?step={full[2]['id']}").get_json()["steps"]
    assert later == full[2:]
    assert len(twiml(bridge, pid, f"&step={full[2]['id']}").findall("Gather")) == 3


def test_a_language_the_notice_lacks_falls_back_to_its_default(api: Api) -> None:
    bridge = Bridge(api, api.call())  # the lecture notice: en and de
    pid = bridge.joined(language="fr-FR", name="Ada")["id"]
    script = bridge.script(pid).get_json()
    assert (script["language"], script["voice"]) == ("en", "en-GB")


def test_the_phrases_exist_in_the_five_languages_with_the_same_placeholders() -> None:
    assert set(PHRASES) == set(LANGUAGES) == set(VOICES)
    for language, phrases in PHRASES.items():
        assert phrases.keys() == PHRASES["en"].keys(), language
        for key, text in phrases.items():
            assert text.strip(), (language, key)
            assert set(PLACEHOLDER.findall(text)) == set(
                PLACEHOLDER.findall(PHRASES["en"][key])), (language, key)


def test_an_unknown_format_is_refused(bridge: Bridge) -> None:
    pid = bridge.joined()["id"]
    response: Any = bridge.script(pid, "?format=vxml")
    assert response.status_code == 422 and "format" in response.get_json()["errors"]


def test_a_gather_action_is_a_keys_url_the_server_takes(bridge: Bridge) -> None:
    pid = bridge.joined()["id"]
    actions = [g.get("action", "") for g in twiml(bridge, pid).findall("Gather")]
    path = actions[1].split("://", 1)[1].split("/", 1)[1]
    answer = bridge.client.post("/" + path, headers=bridge.headers, json={"digits": "1"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["recorded"] == {"recording": "granted"}
    step_id = parse_qs(urlsplit(actions[1]).query)["step"][0]
    for body, problem in [({"digits": "1", "step": f"{pid}:notice"}, "disagree"),
                          ({"digits": "1"}, "Required")]:
        url = "/" + path if "step" in body else f"/api/v1/phone/participants/{pid}/keys"
        refused = bridge.client.post(url, headers=bridge.headers, json=body)
        assert refused.status_code == 422 and problem in refused.get_json()["errors"]["step"][0]
    assert step_id.endswith(":purpose.recording")
