"""Building blocks of the REST schemas: strict loading, safe text, ids, and the problem body.

Every schema refuses fields it does not know (`unknown = RAISE`), every text field refuses
control characters (a NUL byte cannot be stored in PostgreSQL text), and every number has bounds
that fit the database's 32-bit integers.
"""

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from widget_server.domain.errors import NotFound

PROBLEM_JSON = "application/problem+json"
INT_MAX = 2**31 - 1

# Server-made ids look like "call_<32 hex>"; anything else can name no resource.
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A BCP 47 language tag, as far as a notice needs one: "en", "de", "pt-BR", "zh-Hant".
LANGUAGE_PATTERN = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")


class StrictSchema(Schema):
    """Unknown fields are an error, in a body and in a query string alike."""

    class Meta:
        unknown = RAISE


class NoQuery(StrictSchema):
    """For endpoints without query parameters: any given is refused, naming it."""


def _no_control(multiline: bool) -> Any:
    pattern = _CONTROL if multiline else _CONTROL_OR_NEWLINE

    def check(value: str) -> None:
        if pattern.search(value):
            raise ValidationError("Must not contain control characters.")

    return check


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def safe_string(min_length: int = 0, max_length: int = 200, *, multiline: bool = False,
         **kwargs: Any) -> fields.String:
    """A string field of bounded length without control characters (and not blank if min ≥ 1)."""
    checks: list[Any] = [validate.Length(min=min_length, max=max_length), _no_control(multiline)]
    if min_length > 0:
        checks.append(_not_blank)
    return fields.String(validate=checks, **kwargs)


def identifier(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(ID_PATTERN, error="Not a valid id."), **kwargs)


def path_id(value: str, what: str) -> str:
    """An id taken from a URL path; one that cannot be an id names nothing (404)."""
    if not ID_PATTERN.match(value):
        raise NotFound(f"No such {what}.")
    return value


def language(**kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(max=16), validate.Regexp(
        LANGUAGE_PATTERN, error="Not a language tag such as 'en' or 'pt-BR'.")], **kwargs)


class StrictBoolean(fields.Boolean):
    """true or false only: not 1, "yes" or "true"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Problem(Schema):
    """An error (RFC 9457 problem details), sent as application/problem+json."""

    type = fields.String(metadata={"description": "A URI naming the kind of problem."})
    title = fields.String(metadata={"description": "A short summary of the kind of problem."})
    status = fields.Integer(metadata={"description": "The HTTP status code."})
    detail = fields.String(metadata={"description": "What went wrong with this request."})
    code = fields.String(metadata={"description": "A stable machine-readable error code."})
    errors = fields.Dict(metadata={
        "description": "Each offending field (a dotted path such as `purposes.0.text` for the "
                       "notice's rules, or nested objects as the schema reports them) mapped to "
                       "its messages. Present on validation errors."})


_PHRASES = {400: "Malformed request (such as a body that is not JSON).",
            401: "Missing or invalid API key.",
            403: "Authenticated, but not for this: another call or purpose than the token's.",
            404: "No such resource in the caller's organisation.",
            409: "The request conflicts with the resource's state.",
            413: "The request body is larger than the server accepts (64 KB).",
            422: "The request is not valid: see `errors`."}


def problem_responses(*statuses: int) -> dict[int | str, Any]:
    """OpenAPI responses for these error statuses and the default, all problem+json."""
    responses: dict[int | str, Any] = {
        status: {"description": _PHRASES[status],
                 "content": {PROBLEM_JSON: {"schema": Problem}}}
        for status in statuses
    }
    responses["default"] = {"description": "Any other error.",
                            "content": {PROBLEM_JSON: {"schema": Problem}}}
    return responses
