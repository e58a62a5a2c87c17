"""The AsyncAPI 3.0 document of the Socket.IO namespaces (CONTRACT: Real time, §A–D), served at
/api/asyncapi.json.

Socket.IO (protocol v5, at /socket.io) maps onto AsyncAPI as follows: each namespace is a
channel whose address is the namespace; each event is a message whose `name` is the event's
name; an event the client sends is an operation the server `receive`s, and its
acknowledgement is that operation's `reply`; an event the server emits is an operation it
`send`s. The CONNECT packet's `auth` object, which carries the token, has no AsyncAPI security
scheme that fits (none is "a field of the handshake payload"), so each channel describes it
under `x-socketio-auth`, with the `connect_error` refusal codes.

Payloads are JSON Schema (draft-07, the AsyncAPI default). Those the REST API shares (roster,
summary, gate) are converted from the same marshmallow schemas, so the two documents agree.
"""

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from widget_server.schemas.calls import RosterOut
from widget_server.schemas.examples import EXAMPLES
from widget_server.schemas.vocabulary import (
    CHOICES,
    DATA_CATEGORIES,
    LAWFUL_BASES,
    STATES,
    UPDATE_KINDS,
)

VERSION = "1.0.0"
SCHEMAS = "#/components/schemas/"
HASH = {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}
LANGUAGE = {"type": "string", "maxLength": 35, "description": "A BCP 47 language tag."}
STATE_MAP = {"type": "object", "additionalProperties": {"type": "string", "enum": STATES},
             "description": "Purpose key → state."}
HELD = {"type": "array", "items": {"type": "string", "enum": DATA_CATEGORIES},
        "description": "The personal fields held now (names only)."}
FIELD_VALUES = {"type": "object", "maxProperties": 64,
                "additionalProperties": {"type": "string", "maxLength": 320},
                "propertyNames": {"enum": DATA_CATEGORIES}}

# Codes of `connect_error` (its data: {"code", "message"}).
CONNECT_CODES = ["invalid_token", "wrong_role", "wrong_call", "token_expired", "call_ended",
                 "not_found", "origin_not_allowed", "rate_limited"]
# Codes of error acknowledgements ({"ok": false, "error": {"code", …}}), by namespace.
EVERY_EVENT_CODES = ["validation_failed", "rate_limited", "not_connected"]
PARTICIPANT_CODES = [*EVERY_EVENT_CODES, "unexpected_field", "missing_field", "invalid_state",
                     "unknown_purpose", "stale_notice", "call_ended", "call_full",
                     "already_joined", "not_joined", "not_found", "commit_failed",
                     "email_unavailable", "email_failed"]
HOST_CODES = [*EVERY_EVENT_CODES, "not_found"]
PROCESSOR_CODES = [*EVERY_EVENT_CODES, "wrong_purpose", "unauthorized", "not_found"]

DESCRIPTION = """\
The real-time surface of the consent widget server: Socket.IO protocol v5, served at
`/socket.io` on the same origin as the REST API (see `/api/docs`).

* **Namespaces.** `/participant` (the widget: read the notice, join, decide, keep proof),
  `/host` (the host dashboard: a roster, then numbered updates) and `/processor` (a system
  acting on consent: its plan). There is no phone namespace: dial-in is REST
  (`/api/v1/phone/…`).
* **Auth.** Connect with `auth: {"token": …}` in the Socket.IO handshake: the call's widget
  token, host token or a processing grant token (from the REST API). Never in the URL. A
  refused connection gets a `connect_error` whose `data` is `{"code", "message"}`.
* **Acknowledgements.** Every event a client sends takes an acknowledgement:
  `{"ok": true, …}` or `{"ok": false, "error": {"code", "message", "fields"?}}` (`fields`:
  each offending field → messages). The codes are the REST problem codes.
* **Rates.** Each connection has an event budget (`SOCKET_RATE`, `SOCKET_BURST`); past it,
  events are refused with `rate_limited`, and a connection that keeps on is disconnected.
"""


def asyncapi_document(public_url: str = "") -> dict[str, Any]:
    """The whole document; `public_url` (PUBLIC_URL) gives the server's default host."""
    host, secure = _host_of(public_url)
    schemas = {**_converted_schemas(), **_socket_schemas()}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Consent widget server: real time (Socket.IO)", "version": VERSION,
                 "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {"server": {
            "host": "{host}", "protocol": "wss" if secure else "ws", "pathname": "/socket.io",
            "description": "This server; Socket.IO (engine.io) over WebSocket or HTTP "
                           "long-polling.",
            "variables": {"host": {"default": host,
                                   "description": "Host and port of the server."}}}},
        "channels": {
            "participant": _channel("/participant", PARTICIPANT_AUTH, PARTICIPANT_MESSAGES),
            "host": _channel("/host", HOST_AUTH, HOST_MESSAGES),
            "processor": _channel("/processor", PROCESSOR_AUTH, PROCESSOR_MESSAGES),
        },
        "operations": {
            **_operations("participant", PARTICIPANT_RECEIVES, PARTICIPANT_SENDS),
            **_operations("host", HOST_RECEIVES, HOST_SENDS),
            **_operations("processor", PROCESSOR_RECEIVES, PROCESSOR_SENDS),
        },
        "components": {"schemas": schemas},
    }


def _host_of(public_url: str) -> tuple[str, bool]:
    if "://" in public_url:
        scheme, _, rest = public_url.partition("://")
        return rest.split("/")[0] or "localhost:8000", scheme == "https"
    return "localhost:8000", False


# ------------------------------------------------------------------------------- messages

def _ref(name: str) -> dict[str, str]:
    return {"$ref": SCHEMAS + name}


def _message(event: str, summary: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"name": event, "title": event, "summary": summary, "payload": payload}


def _ack(name: str, summary: str, properties: dict[str, Any], required: list[str]
         ) -> dict[str, Any]:
    payload = {"type": "object", "required": ["ok", *required],
               "properties": {"ok": {"const": True}, **properties}}
    return _message(name, summary, payload)


def _ack_error(codes: list[str]) -> dict[str, Any]:
    payload = {"allOf": [_ref("AckError"), {"properties": {"error": {"properties": {
        "code": {"type": "string", "enum": codes}}}}}]}
    return _message("ack_error", "A refusal: nothing was stored.", payload)


PARTICIPANT_AUTH = {
    "description": "The widget token of the call (from POST /api/v1/calls), plus `resume` to "
                   "come back as the same participant after a reload, and `call` (the call "
                   "id of the widget's page; another call's token is refused with "
                   "`wrong_call`). The connecting page's Origin must be one of the "
                   "organisation's origins.",
    "schema": {"type": "object", "required": ["token"], "properties": {
        "token": {"type": "string"}, "resume": {"type": "string", "maxLength": 200},
        "call": {"type": "string"}}},
    "connect_error_codes": CONNECT_CODES,
}
HOST_AUTH = {
    "description": "The host token of the call (from POST /api/v1/calls).",
    "schema": {"type": "object", "required": ["token"],
               "properties": {"token": {"type": "string"}}},
    "connect_error_codes": CONNECT_CODES,
}
PROCESSOR_AUTH = {
    "description": "A processing grant token (POST /api/v1/calls/{id}/grants): for one call "
                   "and one purpose. `call` and `purpose`, when given, must be the grant's. "
                   "A revoked grant's connections are closed.",
    "schema": {"type": "object", "required": ["token"], "properties": {
        "token": {"type": "string"}, "call": {"type": "string"},
        "purpose": {"type": "string"}}},
    "connect_error_codes": ["unauthorized", "wrong_call", "wrong_purpose", "rate_limited"],
}

PARTICIPANT_MESSAGES: dict[str, dict[str, Any]] = {
    "notice": _message("notice", "Read the notice before joining (stores nothing).", {
        "type": "object", "additionalProperties": False,
        "properties": {"language": LANGUAGE}}),
    "notice_ack": _ack("notice", "The notice in the chosen (or default) language.", {
        "notice": _ref("RenderedNotice"),
        "languages": {"type": "array", "items": {"type": "string"}},
        "join_fields": {**HELD, "description": "The fields a join must carry: those the "
                                               "call's non-consent purposes need."},
        "manage_by_email": {"type": "boolean",
                            "description": "Whether `send_manage_link` can send email."},
        "state": {**STATE_MAP, "description": "Once joined: the participant's own states."},
        "held": {**HELD, "description": "Once joined: the fields held."}},
        ["notice", "languages", "join_fields", "manage_by_email"]),
    "join": _message("join", "Join the call once the notice was shown. Recorded in the ledger "
                             "as `notice_served` (purpose null).", {
        "type": "object", "required": ["seen"], "properties": {
            "fields": {**FIELD_VALUES, "description": "Exactly the `join_fields`; anything "
                                                      "else is `unexpected_field`."},
            "language": LANGUAGE,
            "seen": _ref("Seen")}}),
    "join_ack": _ack("join", "Joined, after the commit (hosts got a `joined` update first).", {
        "participant": {"type": "object", "required": ["id", "resume"], "properties": {
            "id": {"type": "string"},
            "resume": {"type": "string", "description": "The resume and manage secret: "
                                                        "`<participant id>.<secret>`."}}},
        "notice": _ref("RenderedNotice"), "state": STATE_MAP, "held": HELD},
        ["participant", "notice", "state", "held"]),
    "decide": _message("decide", "Record choices. Repeating an event_id returns the first "
                                 "result.", {
        "type": "object", "required": ["event_id", "choices"], "properties": {
            "event_id": {"type": "string", "format": "uuid"},
            "choices": {"type": "object", "minProperties": 1, "maxProperties": 64,
                        "additionalProperties": {"type": "string", "enum": CHOICES}},
            "fields": {**FIELD_VALUES, "description": "Data needed only by a purpose granted "
                                                      "in this event."},
            "seen": _ref("Seen")}}),
    "decide_ack": _ack("decide", "Committed (hosts got a `decision` update first).", {
        "state": STATE_MAP, "held": HELD, "receipt": _ref("ReceiptRef")},
        ["state", "held", "receipt"]),
    "receipt": _message("receipt", "Ask for the signed receipt of one of my decisions.", {
        "type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}),
    "receipt_ack": _ack("receipt", "The signed receipt.", {
        "jws": {"type": "string", "description": "Compact JWS (EdDSA, Ed25519); keys at "
                                                 "/.well-known/jwks.json."}}, ["jws"]),
    "send_manage_link": _message("send_manage_link", "Email me the manage link (at most 3 an "
                                                     "hour; the address is not stored).", {
        "type": "object", "required": ["email"], "properties": {
            "email": {"type": "string", "format": "email", "maxLength": 254}}}),
    "send_manage_link_ack": _ack("send_manage_link", "The mail server took the message.", {
        "sent": {"const": True}}, ["sent"]),
    "notice_changed": _message("notice_changed", "The call moved to a later notice version: "
                                                 "read the notice again, ask `asked_again`.", {
        "type": "object", "required": ["call_id", "notice", "asked_again", "dropped", "states"],
        "properties": {
            "call_id": {"type": "string"},
            "notice": _ref("NoticeRef"),
            "asked_again": {"type": "array", "items": {"type": "string"}},
            "dropped": {"type": "array", "items": {"type": "string"}},
            "states": {**STATE_MAP, "description": "Purpose key → the state it restarted at."}}}),
    "call_ended": _message("call_ended", "The call has ended: nobody can join or decide in "
                                         "the widget any more.", {
        "type": "object", "required": ["call_id"],
        "properties": {"call_id": {"type": "string"}}}),
    "ack_error": _ack_error(PARTICIPANT_CODES),
}

HOST_UPDATE_LIST = {"type": "array", "items": _ref("HostUpdate")}
HOST_MESSAGES: dict[str, dict[str, Any]] = {
    "roster": _message("roster", "Sent on connect (and after a notice change): the whole "
                                 "roster. Drop updates with seq ≤ roster.seq.", _ref("RosterOut")),
    "update": _message("update", "One update, or several committed together (a list, in "
                                 "order). seq numbers every update of the call consecutively: "
                                 "a gap means one was missed (resync).", {
        "oneOf": [_ref("HostUpdate"), {**HOST_UPDATE_LIST, "minItems": 2}]}),
    "resync": _message("resync", "Every update after `since`, or a fresh roster.", {
        "type": "object", "required": ["since"],
        "properties": {"since": {"type": "integer", "minimum": 0}}}),
    "resync_ack": _message("resync", "The updates after `since` in order, or (too many, or an "
                                     "unknown seq) a roster.", {
        "oneOf": [
            {"type": "object", "required": ["ok", "updates"],
             "properties": {"ok": {"const": True}, "updates": HOST_UPDATE_LIST}},
            {"type": "object", "required": ["ok", "roster"],
             "properties": {"ok": {"const": True}, "roster": _ref("RosterOut")}}]}),
    "feed": _message("feed", "Whether this process hears the other processes' updates (the "
                             "message queue): when `live` turns true again, resync.", {
        "type": "object", "required": ["live"], "properties": {"live": {"type": "boolean"}}}),
    "processors": _message("processors", "The call's processors and the last plan each "
                                         "applied: on connect and after a grant is made, "
                                         "revoked or applied.", {
        "type": "object", "required": ["call_id", "items"], "properties": {
            "call_id": {"type": "string"},
            "items": {"type": "array", "items": _ref("Processor")}}}),
    "ack_error": _ack_error(HOST_CODES),
}

PROCESSOR_MESSAGES: dict[str, dict[str, Any]] = {
    "plan": _message("plan", "On connect, then after every change of the call: what this "
                             "processing may do now.", _ref("Plan")),
    "plan_request": _message("plan", "Ask for the current plan again.", {
        "type": "object", "properties": {"purpose": {"type": "string"}}}),
    "plan_ack": _ack("plan", "The current plan.", {"plan": _ref("Plan")}, ["plan"]),
    "applied": _message("applied", "Confirm that the processor follows plan `seq`; hosts see "
                                   "it.", {
        "type": "object", "required": ["seq"],
        "properties": {"seq": {"type": "integer", "minimum": 0}}}),
    "applied_ack": _ack("applied", "Recorded.", {"processor": _ref("Processor")},
                        ["processor"]),
    "revoked": _message("revoked", "The grant was revoked; the connection closes.", {
        "type": "object", "required": ["grant_id"],
        "properties": {"grant_id": {"type": "string"}}}),
    "ack_error": _ack_error(PROCESSOR_CODES),
}

# (operation id suffix, message, reply messages) for events the server receives, and the
# messages it sends.
PARTICIPANT_RECEIVES = [("notice", "notice", ["notice_ack"]), ("join", "join", ["join_ack"]),
                        ("decide", "decide", ["decide_ack"]),
                        ("receipt", "receipt", ["receipt_ack"]),
                        ("send_manage_link", "send_manage_link", ["send_manage_link_ack"])]
PARTICIPANT_SENDS = ["notice_changed", "call_ended"]
HOST_RECEIVES = [("resync", "resync", ["resync_ack"])]
HOST_SENDS = ["roster", "update", "feed", "processors"]
PROCESSOR_RECEIVES = [("plan", "plan_request", ["plan_ack"]),
                      ("applied", "applied", ["applied_ack"])]
PROCESSOR_SENDS = ["plan", "revoked"]


def _channel(address: str, auth: dict[str, Any], messages: dict[str, Any]) -> dict[str, Any]:
    return {"address": address, "title": f"Namespace {address}",
            "description": f"The Socket.IO namespace `{address}`. {auth['description']}",
            "messages": messages, "x-socketio-auth": auth}


def _operations(channel: str, receives: list[tuple[str, str, list[str]]], sends: list[str]
                ) -> dict[str, Any]:
    here = {"$ref": f"#/channels/{channel}"}

    def message(name: str) -> dict[str, str]:
        return {"$ref": f"#/channels/{channel}/messages/{name}"}

    operations: dict[str, Any] = {}
    for event, name, replies in receives:
        operations[f"{channel}.{event}"] = {
            "action": "receive", "channel": here, "title": f"{event} (client → server)",
            "messages": [message(name)],
            "reply": {"channel": here,
                      "messages": [message(r) for r in [*replies, "ack_error"]]}}
    for name in sends:
        operations[f"{channel}.{name}.emitted"] = {
            "action": "send", "channel": here, "title": f"{name} (server → client)",
            "messages": [message(name)]}
    return operations


# -------------------------------------------------------------------------------- schemas

def _converted_schemas() -> dict[str, Any]:
    """The roster and its parts, from the REST schemas (OpenAPI 3.1's JSON Schema dialect:
    null as a type, no `nullable`)."""
    spec = APISpec("socket", VERSION, "3.1.0", plugins=[MarshmallowPlugin()])
    spec.components.schema("RosterOut", schema=RosterOut)
    converted: dict[str, Any] = spec.to_dict()["components"]["schemas"]
    for name, schema in converted.items():
        if name in EXAMPLES:
            schema["examples"] = [EXAMPLES[name]]
    return converted


def _socket_schemas() -> dict[str, Any]:
    return {
        "AckError": {
            "type": "object", "required": ["ok", "error"], "properties": {
                "ok": {"const": False},
                "error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"},
                    "fields": {"type": "object", "description": "Each offending field → its "
                                                                "messages."}}}}},
        "Seen": {"type": "object", "required": ["notice_hash"],
                 "properties": {"notice_hash": {**HASH, "description": "The content_hash of "
                                                                       "the notice shown."}}},
        "NoticeRef": {"type": "object", "required": ["id", "version", "content_hash"],
                      "properties": {"id": {"type": "string"}, "version": {"type": "integer"},
                                     "content_hash": HASH}},
        "ReceiptRef": {"type": "object", "required": ["id", "seq", "hash"], "properties": {
            "id": {"type": "string"}, "seq": {"type": "integer"}, "hash": HASH}},
        "RenderedNotice": {
            "type": "object", "description": "The notice as a participant sees it, in one "
                                             "language.",
            "required": ["name", "controller", "privacy_policy_url", "language", "languages",
                         "purposes", "content_hash", "version"],
            "properties": {
                "name": {"type": "string"}, "controller": {"type": "object"},
                "privacy_policy_url": {"type": "string", "format": "uri"},
                "dpo": {"type": ["object", "null"]},
                "recipients": {"type": "array", "items": {"type": "object"}},
                "transfers": {"type": "array", "items": {"type": "object"}},
                "supervisory_authority": {"type": ["object", "null"]},
                "language": {"type": "string"},
                "languages": {"type": "array", "items": {"type": "string"}},
                "content_hash": HASH, "version": {"type": "integer"},
                "purposes": {"type": "array", "items": {
                    "type": "object",
                    "required": ["key", "lawful_basis", "gates_recording", "data",
                                 "retention_days", "title", "description", "grant_fields"],
                    "properties": {
                        "key": {"type": "string"},
                        "lawful_basis": {"type": "string", "enum": LAWFUL_BASES},
                        "gates_recording": {"type": "boolean"},
                        "data": HELD, "retention_days": {"type": "integer"},
                        "title": {"type": "string"}, "description": {"type": "string"},
                        "legitimate_interest": {"type": ["string", "null"]},
                        "required": {"type": "boolean"},
                        "automated_decisions": {"type": "boolean"},
                        "processes": {"type": "array", "items": {"type": "string"}},
                        "grant_fields": {**HELD, "description": "What a grant of this "
                                                                "purpose asks for."}}}}}},
        "HostUpdate": {
            "type": "object", "required": ["seq", "kind", "summary", "gate"],
            "properties": {
                "seq": {"type": "integer"},
                "kind": {"type": "string", "enum": UPDATE_KINDS},
                "participant": {**_ref("RosterParticipant"),
                                "description": "Who changed (absent for call_ended and "
                                               "notice_changed)."},
                "summary": _ref("Summary"),
                "gate": _ref("GateSummary"),
                "notice": {"type": "object", "description": "For notice_changed: the new "
                                                            "version, asked_again, dropped, "
                                                            "states, purposes."}}},
        "Plan": {
            "type": "object", "required": ["seq", "purpose", "allowed", "participants"],
            "properties": {
                "seq": {"type": "integer", "description": "The call's update seq it "
                                                          "reflects."},
                "call_id": {"type": "string"},
                "purpose": {"type": "string"},
                "allowed": {"type": "boolean", "description": "May this processing run at "
                                                              "all now (for a gating purpose: "
                                                              "the gate)."},
                "participants": {"type": "array", "items": {
                    "type": "object", "required": ["id", "state", "allowed"],
                    "properties": {
                        "id": {"type": "string"},
                        "ref": {"type": ["string", "null"], "maxLength": 128,
                                "description": "The meeting page's data-participant-ref."},
                        "state": {"type": ["string", "null"], "enum": [*STATES, None]},
                        "allowed": {"type": "boolean"},
                        "fields": {**FIELD_VALUES, "description": "Only what this purpose "
                                                                  "needs, only while "
                                                                  "allowed."}}}}}},
        "Processor": {
            "type": "object", "required": ["id", "name", "purpose"], "properties": {
                "id": {"type": "string"}, "name": {"type": "string"},
                "purpose": {"type": "string"}, "revoked": {"type": "boolean"},
                "last_applied_seq": {"type": ["integer", "null"]},
                "applied_at": {"type": ["string", "null"], "format": "date-time"},
                "applied_delay_ms": {"type": ["integer", "null"]}}},
    }
