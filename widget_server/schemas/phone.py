"""Dial-in at the REST edge (CONTRACT §E): what a phone bridge sends and gets back."""

from marshmallow import fields, validate

from widget_server.schemas.common import StrictSchema, identifier, language, safe_string

DIGITS = r"^[0-9*#]{1,8}$"


class CallerIn(StrictSchema):
    caller = safe_string(1, 200, required=True, metadata={
        "description": "The caller's number in international form ('+49 30 901820'): kept "
                       "(as E.164) only while a purpose of the notice needs `phone`; otherwise "
                       "only its last two digits, in the label.",
        "example": "+4930901820"})
    language = language(load_default=None, allow_none=True, metadata={
        "description": "The caller's language (e.g. chosen in the bridge's menu); the "
                       "notice's default when it has no such language."})
    name = safe_string(1, 100, load_default=None, allow_none=True, metadata={
        "description": "The caller's name from the bridge's directory: taken only where a "
                       "purpose needs `display_name` (422 `unexpected_field` otherwise), never "
                       "demanded."})
    call_id = identifier(load_default=None, allow_none=True, metadata={
        "description": "The call the bridge means, to make sure: another than the token's "
                       "is refused (403 `wrong_call`)."})


class CallerOut(StrictSchema):
    id = fields.String(required=True, metadata={"description": "The participant id."})
    label = fields.String(required=True, metadata={
        "description": "What hosts see: 'Phone ••56', or the name where one is held."})
    language = fields.String(metadata={"description": "The language the script is spoken in."})
    present = fields.Boolean(required=True)


class ScriptQuery(StrictSchema):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "twiml")),
                           metadata={"description": "json (steps) or twiml (the same steps as "
                                                    "a TwiML document)."})
    step = safe_string(1, 200, load_default=None, metadata={
        "description": "Start at this step (the `next` of a keys answer)."})


class StepOut(StrictSchema):
    id = fields.String(required=True)
    say = fields.String(required=True, metadata={"description": "What to say, in the caller's "
                                                                "language."})
    expect = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True, metadata={
        "description": "Key → what it does: `{\"purpose\", \"state\"}` (a decision) or "
                       "`{\"action\": \"continue\" | \"repeat\" | \"restart\"}`."})
    next = fields.String(allow_none=True, metadata={"description": "The step after this one."})


class ScriptOut(StrictSchema):
    participant_id = fields.String(required=True)
    language = fields.String(required=True)
    voice = fields.String(required=True, metadata={
        "description": "The language tag for a voice (TwiML `<Say language>`)."})
    steps = fields.List(fields.Nested(StepOut), required=True)


class KeysQuery(StrictSchema):
    step = safe_string(1, 200, load_default=None, metadata={
        "description": "The step answered, as the TwiML `<Gather action>` names it; instead "
                       "of the body's `step` (both, if given, must agree)."})


class KeysIn(StrictSchema):
    step = safe_string(1, 200, load_default=None, metadata={
        "description": "The step answered (required unless given in the query)."})
    digits = fields.String(required=True, validate=validate.Regexp(
        DIGITS, error="Keypad digits: 0-9, * and #, at most 8."), metadata={"example": "1"})
    event_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "Makes a retry safe: the same event_id records once."})
    caller = safe_string(1, 200, load_default=None, allow_none=True, metadata={
        "description": "The caller's number again: used only when this key grants a purpose "
                       "that needs `phone` (and then required); otherwise left out, unstored."})
    name = safe_string(1, 100, load_default=None, allow_none=True, metadata={
        "description": "The caller's name: used only where this key turns on a purpose that "
                       "needs `display_name`; otherwise left out, unstored."})


class KeysOut(StrictSchema):
    step = fields.String(required=True)
    digits = fields.String(required=True)
    outcome = fields.String(required=True, metadata={
        "description": "recorded (a decision), continue, repeat, restart, or reprompt (the "
                       "key fits no prompt: nothing recorded)."})
    recorded = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                           metadata={"description": "purpose → state recorded (empty if "
                                                    "nothing)."})
    state = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    receipt = fields.Dict(allow_none=True, metadata={
        "description": "`{id, seq, hash}` of the decision, as the widget's."})
    next = fields.String(allow_none=True, metadata={"description": "The step to say next."})
    say = fields.String(allow_none=True, metadata={"description": "What to say next."})
