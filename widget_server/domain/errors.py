"""Domain errors: each carries a stable code and the HTTP status the edges translate it to."""

from typing import Any


class DomainError(Exception):
    code = "error"
    status = 400
    title = "Bad request"

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422
    title = "Validation failed"


class UnexpectedField(ValidationFailed):
    code = "unexpected_field"


class MissingField(ValidationFailed):
    code = "missing_field"


class InvalidState(ValidationFailed):
    code = "invalid_state"


class UnknownPurpose(ValidationFailed):
    code = "unknown_purpose"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = "Not found"


class CallEnded(DomainError):
    code = "call_ended"
    status = 409
    title = "Call ended"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "Conflict"


class RetentionPassed(DomainError):
    """After every purpose's retention has passed there is nothing left to decide about."""

    code = "retention_passed"
    status = 409
    title = "Retention passed"


class StaleNotice(DomainError):
    code = "stale_notice"
    status = 409
    title = "Notice changed"


class CallFull(DomainError):
    code = "call_full"
    status = 409
    title = "Call full"


class CommitFailed(DomainError):
    code = "commit_failed"
    status = 503
    title = "Not recorded"


class AlreadyJoined(DomainError):
    code = "already_joined"
    status = 409
    title = "Already joined"


class NotJoined(DomainError):
    code = "not_joined"
    status = 409
    title = "Not joined"


class HungUp(Conflict):
    """A phone caller who hung up presses no more keys."""

    code = "hung_up"
    title = "Hung up"


class SecretInQuery(DomainError):
    """A secret in a URL query string would reach access logs and browser histories."""

    code = "secret_in_query"
    status = 400
    title = "Secret in the query string"


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    title = "Unauthorized"


class InvalidToken(Unauthorized):
    code = "invalid_token"


class TokenExpired(Unauthorized):
    code = "token_expired"


class WrongCall(Unauthorized):
    code = "wrong_call"


class WrongRole(Unauthorized):
    code = "wrong_role"


class ForbiddenCall(WrongCall):
    """A genuine token used for another call than its own."""

    status = 403
    title = "Forbidden"


class WrongPurpose(Unauthorized):
    """A processing grant is for one purpose; asking for another's plan is refused."""

    code = "wrong_purpose"
    status = 403
    title = "Forbidden"


class ForeignOrigin(Unauthorized):
    code = "origin_not_allowed"
    status = 403


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429


class MailUnavailable(DomainError):
    code = "email_unavailable"
    status = 503
    title = "Email is not set up"


class MailFailed(DomainError):
    code = "email_failed"
    status = 502
    title = "Email could not be sent"
