"""What the OpenAPI document says about every operation alike, added as the spec is built.

An apispec plugin, so that every endpoint gets it, also those added later: the error statuses
it can answer, each as `application/problem+json` with the Problem schema and an example (the
status a view declares itself keeps its own wording), and each component schema's example.
"""

from typing import Any

from apispec import BasePlugin

from widget_server.schemas.common import PHRASES, PROBLEM_JSON
from widget_server.schemas.examples import EXAMPLES, MANAGE_SECRET_REFUSED, PROBLEM_EXAMPLES

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def error_statuses(operation: dict[str, Any], path: str) -> set[int]:
    """The error statuses any API operation can answer, from what it takes.

    Every request is counted against the source's rate limit (429) and may meet an
    unexpected failure (500). An authenticated one can be refused (401); an id in the path can
    name nothing of the caller's (404); a query string or a body is checked strictly (422, the
    field named), and a body can be malformed (400) or too large (413)."""
    statuses = {422, 429, 500}
    if operation.get("security"):
        statuses.add(401)
    if "{" in path:
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413}
    return statuses


def problem_response(status: int, description: str | None = None,
                     example: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description or PHRASES[status],
            "content": {PROBLEM_JSON: {"schema": PROBLEM_REF,
                                       "example": example or PROBLEM_EXAMPLES[status]}}}


def _example(status: int, operation: dict[str, Any]) -> dict[str, Any] | None:
    """The manage secret's refusal on the participant's endpoints; else the generic one."""
    if status == 401 and {"participant": []} in operation.get("security", []):
        return MANAGE_SECRET_REFUSED
    return None


class ProblemResponses(BasePlugin):
    """Error responses and examples for the whole document."""

    def operation_helper(self, path: str | None = None,
                         operations: dict[str, Any] | None = None, **_: Any) -> None:
        for method, operation in (operations or {}).items():
            if method == "parameters" or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            generic = error_statuses(operation, path or "")
            for status in sorted(generic):
                declared = responses.get(status) or responses.get(str(status))
                responses.pop(status, None)
                described = declared.get("description") if isinstance(declared, dict) else None
                responses[str(status)] = problem_response(status, described,
                                                          _example(status, operation))
            # A status a view declares beyond these (409, 503…) gets the same shape.
            for status in [s for s in list(responses) if str(s).isdigit() and int(s) >= 400
                           and int(s) not in generic]:
                if int(status) in PROBLEM_EXAMPLES and isinstance(responses[status], dict):
                    description = responses.pop(status).get("description")
                    responses[str(status)] = problem_response(int(status), description)

    def schema_helper(self, name: str, definition: dict[str, Any],
                      **_: Any) -> dict[str, Any] | None:
        example = EXAMPLES.get(name)
        return {"example": example} if example is not None else None
