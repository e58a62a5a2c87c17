"""The spoken script as TwiML (CONTRACT §E): one `<Gather>` per step, each saying the step in
the caller's language and sending the key pressed to the keys endpoint with the step's id.

Only TwiML's own verbs and attributes are written (Response, Gather, Say): a bridge may hand
the document to its voice platform as it is. Gathering stops at the first key, so a
platform reaches the next step through the keys answer's `next` (and `?step=` on the script),
never by falling through an unanswered prompt.
"""

from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

GATHER_TIMEOUT_S = "10"


def document(script: list[dict[str, Any]], voice: str, keys_url: str) -> str:
    """`<Response>` with a `<Gather numDigits="1">` and its `<Say language>` per step."""
    response = ElementTree.Element("Response")
    for step in script:
        gather = ElementTree.SubElement(response, "Gather", {
            "input": "dtmf", "numDigits": "1", "timeout": GATHER_TIMEOUT_S, "method": "POST",
            "action": f"{keys_url}?step={quote(step['id'], safe='')}"})
        say = ElementTree.SubElement(gather, "Say", {"language": voice})
        say.text = step["say"]
    body = ElementTree.tostring(response, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body
