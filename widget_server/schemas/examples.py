"""Examples for the OpenAPI document, one per component schema (by its name).

They show the answers as the server gives them (tests/api/test_openapi.py checks each against
its schema); ids, hashes and tokens are made up. The notice is CONTRACT.md's example.
"""

from typing import Any

NOTICE_ID = "ntc_7ec1a708527f4d6c882235b027eadb19"
CALL_ID = "call_999294c55cbf4d2a9abb93152e3a356e"
ADA = "par_3f1c0b6e2a8d4f0e9b7a6c5d4e3f2a1b"
BOB = "par_8a7b6c5d4e3f4a1b9c8d7e6f5a4b3c2d"
HASH = "sha256:135efcde000c4646815aec21a6dbcf48a7171e676fa470df837157deb247f927"
EVENT_HASH = "sha256:4be1d5c1f0a3c54d0f7b1e8a2f0d9c3b6e5a4f3d2c1b0a9f8e7d6c5b4a3f2e1d"
PREV_HASH = "sha256:0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6f7e8d9c0b1a2f3e4d5c6b7a8f9e0d1c"
WIDGET_TOKEN = "eyJjIjoiY2FsbF85OTkyIiwiciI6IndpZGdldCJ9.6tUHabAz9WOtDbqwFMJsqIcq-p4"  # noqa: S105 (made up)
HOST_TOKEN = "eyJjIjoiY2FsbF85OTkyIiwiciI6Imhvc3QifQ.quY5VMZcJsj2sJ68KCZ-xdEnIU8"  # noqa: S105 (made up)
JWS = "eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiJ9.eyJyZWNlaXB0X2lkIjoiLi4uIn0.c2lnbmF0dXJl"
WHEN = "2026-12-02T13:20:08+00:00"

NOTICE_IN: dict[str, Any] = {
    "name": "Lecture capture",
    "controller": {"name": "Example University", "contact_email": "dpo@example.edu"},
    "privacy_policy_url": "https://example.edu/privacy",
    "default_language": "en",
    "purposes": [
        {"key": "recording", "lawful_basis": "consent", "gates_recording": True,
         "data": ["display_name"], "retention_days": 30,
         "text": {"en": {"title": "Record this session", "description": "Video and audio."},
                  "de": {"title": "Diese Sitzung aufzeichnen", "description": "Bild und Ton."}}},
        {"key": "notes_email", "lawful_basis": "consent", "data": ["email"],
         "retention_days": 7,
         "text": {"en": {"title": "Email me the notes", "description": "A summary."},
                  "de": {"title": "Notizen per E-Mail",
                         "description": "Eine Zusammenfassung."}}},
        {"key": "attendance", "lawful_basis": "legitimate_interests", "data": ["display_name"],
         "retention_days": 365,
         "legitimate_interest": {"en": "Knowing who attended, for course credit.",
                                 "de": "Wissen, wer teilnahm, für Leistungsnachweise."},
         "text": {"en": {"title": "Attendance list", "description": "Who attended."},
                  "de": {"title": "Anwesenheitsliste", "description": "Wer teilnahm."}}},
        {"key": "service", "lawful_basis": "contract", "data": [], "retention_days": 30,
         "text": {"en": {"title": "Running the call", "description": "Needed to run it."},
                  "de": {"title": "Durchführung", "description": "Dafür nötig."}}},
    ],
}
NOTICE_OUT = {"id": NOTICE_ID, "version": 1, "content_hash": HASH, "created_at": WHEN,
              **NOTICE_IN,
              "purposes": [{"gates_recording": False, **p} for p in NOTICE_IN["purposes"]]}
NOTICE_REF = {"id": NOTICE_ID, "version": 1, "content_hash": HASH}
CALL_OUT = {"id": CALL_ID, "title": "Lecture 1", "status": "open", "external_ref": "room-4711",
            "starts_at": None, "created_at": WHEN, "ended_at": None, "sealed_at": None,
            "proof_deleted_at": None, "notice": NOTICE_REF}
SUMMARY = {"present": 2, "purposes": {"recording": {"granted": 1, "pending": 1},
                                      "attendance": {"not_objected": 2}}}
GATE = {"recording_allowed": False, "blocking": 1}
PURPOSE_COLUMNS = [
    {"key": "recording", "title": "Record this session", "lawful_basis": "consent",
     "gates_recording": True},
    {"key": "attendance", "title": "Attendance list", "lawful_basis": "legitimate_interests",
     "gates_recording": False},
]
ROSTER = {
    "call": {"id": CALL_ID, "title": "Lecture 1", "status": "open",
             "notice": {"id": NOTICE_ID, "version": 1}, "purposes": PURPOSE_COLUMNS},
    "seq": 5,
    "participants": [
        {"id": ADA, "label": "Ada", "channel": "widget", "present": True,
         "state": {"recording": "granted", "attendance": "not_objected"},
         "updated_at": WHEN, "blocking": False, "blocking_since": None},
        {"id": BOB, "label": "Participant 2", "channel": "widget", "present": True,
         "state": {"recording": "pending", "attendance": "not_objected"},
         "updated_at": WHEN, "blocking": True, "blocking_since": WHEN},
    ],
    "summary": SUMMARY,
    "gate": GATE,
}
DECISION = {"seq": 3, "event_id": "0b7e3f52-8d1c-4a47-9a53-2f0c6e1d9b84",
            "participant_id": ADA, "purpose": "recording", "state": "granted",
            "notice_version": 1, "notice_hash": HASH, "language": "en", "channel": "widget",
            "recorded_at": WHEN, "prev_hash": PREV_HASH, "hash": EVENT_HASH}
NOTICE_SERVED = {**DECISION, "seq": 1, "event_id": "5d2f7a90-1c3b-4e6d-8f0a-9b8c7d6e5f4a",
                 "purpose": None, "state": "notice_served"}

EXAMPLES: dict[str, Any] = {
    "NoticeIn": NOTICE_IN,
    "NoticeOut": NOTICE_OUT,
    "CallIn": {"title": "Lecture 1", "notice_id": NOTICE_ID, "external_ref": "room-4711",
               "starts_at": "2026-12-02T14:00:00+01:00"},
    "CallOut": CALL_OUT,
    "CallCreated": {
        **CALL_OUT,
        "widget": {"token": WIDGET_TOKEN, "url": f"https://consent.example.edu/widget/{CALL_ID}",
                   "snippet": f'<script src="https://consent.example.edu/static/widget.js" '
                              f'data-call="{CALL_ID}" data-widget-token="{WIDGET_TOKEN}" '
                              f'async></script>'},
        "host": {"token": HOST_TOKEN,
                 "url": f"https://consent.example.edu/host#token={HOST_TOKEN}"}},
    "CallDetail": {**CALL_OUT, "summary": SUMMARY, "gate": GATE},
    "GateSummary": GATE,
    "GateOut": {**GATE, "blocking_participants": [BOB], "seq": 5},
    "RosterOut": ROSTER,
    "DecisionsPage": {"items": [NOTICE_SERVED, DECISION], "next": "3"},
    "NoticeChangeIn": {"version": 2},
    "CheckpointsOut": {"items": [{"seq": 3, "hash": EVENT_HASH, "final": False,
                                  "signed_at": WHEN, "kid": "k7Yd0aJf2", "jws": JWS}]},
    "DecisionIn": {"event_id": "6f9a1d3e-2b4c-4d5e-8f7a-1b2c3d4e5f60",
                   "choices": {"recording": "withdrawn", "attendance": "objected"}},
    "DecisionResult": {"state": {"recording": "withdrawn", "attendance": "objected",
                                 "notes_email": "denied", "service": "informed"},
                       "held": [], "receipt": {"id": "rcp_2c9e7f1a0b3d4e5f8a6b7c8d9e0f1a2b",
                                               "seq": 9, "hash": EVENT_HASH}},
    "ErasureOut": {"erased": ["display_name"], "held": [], "recorded": True,
                   "ledger": {"seq": 10, "hash": EVENT_HASH}},
    "ReceiptJws": {"jws": JWS},
    "OrganisationOut": {"id": "org_51efb89e0e28426eb95ec0a8f02e2045",
                        "name": "Example University", "origins": ["https://meet.example.org"],
                        "created_at": WHEN, "proof_retention_days": 1095},
    "OrganisationPatch": {"proof_retention_days": 730},
}


def problem_example(status: int, code: str, title: str, detail: str,
                    errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": f"about:blank#{code}", "title": title, "status": status,
                            "detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    return body


# The 401 of the participant's own endpoints (the manage secret, not an API key).
MANAGE_SECRET_REFUSED = problem_example(
    401, "unauthorized", "Unauthorized",
    "Send the manage secret as 'Authorization: Participant <participant id>.<secret>' (the key "
    "of the manage link, with its participant id).")

# One example body per error status, as the server sends them (views/errors.py).
PROBLEM_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {"type": "about:blank", "title": "Bad Request", "status": 400, "code":
          "malformed_request", "detail": "The browser (or proxy) sent a request that this "
                                         "server could not understand."},
    401: problem_example(401, "unauthorized", "Unauthorized",
                         "Send an API key as 'Authorization: Bearer <key>'."),
    403: problem_example(403, "origin_not_allowed", "Forbidden",
                         "This origin may not use this call."),
    404: problem_example(404, "not_found", "Not found", f"No call {CALL_ID}."),
    409: problem_example(409, "call_ended", "Call ended", "The call has ended."),
    413: {"type": "about:blank", "title": "Request Entity Too Large", "status": 413,
          "code": "body_too_large", "detail": "The data value transmitted exceeds the "
                                              "capacity limit."},
    422: {"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
          "code": "validation_failed", "detail": "The request is not valid: notice_id, title",
          "errors": {"notice_id": ["Missing data for required field."],
                     "title": ["Not a valid string."]}},
    429: {"type": "about:blank", "title": "Too Many Requests", "status": 429,
          "code": "rate_limited", "detail": "100 per 1 second"},
    500: {"type": "about:blank", "title": "Internal Server Error", "status": 500,
          "code": "internal_error", "detail": "Something went wrong on our side."},
    503: problem_example(503, "commit_failed", "Not recorded",
                         "Nothing was recorded; retry with the same event_id."),
}
