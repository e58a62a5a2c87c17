"""How request bodies and query strings reach the schemas (webargs, under flask-smorest).

Two changes from webargs' defaults:

- Every location defers to the schema's own `unknown` (RAISE for ours), so an unknown query
  parameter is refused by name just like an unknown body field.
- A body that the JSON decoder cannot take for reasons other than syntax (nesting deeper than
  Python's recursion limit, an integer of more than 4300 digits) is a malformed body, 400, like
  any other invalid JSON, instead of an unhandled exception.
"""

import json
from typing import Any

from flask import Request
from webargs.flaskparser import FlaskParser, abort


class RequestParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = dict.fromkeys(
        FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION)

    def _raw_load_json(self, req: Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            abort(400, messages={"json": ["Invalid JSON body: nested too deeply."]})
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise  # webargs answers these itself (400, or "missing" for an empty body)
        except ValueError:
            abort(400, messages={"json": ["Invalid JSON body: a number is too large."]})


REQUEST_PARSER = RequestParser()
