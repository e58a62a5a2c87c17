"""How request bodies and query strings reach the schemas (webargs, under flask-smorest).

Two changes from webargs' defaults:

- Every location defers to the schema's own `unknown` (RAISE for ours), so an unknown query
  parameter is refused by name just like an unknown body field.
- A body that the JSON decoder cannot take for reasons other than syntax (nesting deeper than
  Python's recursion limit, an integer of more than 4300 digits) is a malformed body, 400, like
  any other invalid JSON, instead of an unhandled exception.
"""

import json
import re
from typing import Any

from flask import Request
from webargs.flaskparser import FlaskParser, abort


class RequestParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = dict.fromkeys(
        FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION)

    def _raw_load_json(self, req: Request) -> Any:
        try:
            data = super()._raw_load_json(req)
        except RecursionError:
            abort(400, messages={"json": ["Invalid JSON body: nested too deeply."]})
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise  # webargs answers these itself (400, or "missing" for an empty body)
        except ValueError:
            abort(400, messages={"json": ["Invalid JSON body: a number is too large."]})
        where = lone_surrogate(data)
        if where is not None:
            # JSON may escape half of a UTF-16 pair ("\ud800"); no text can hold it, so it
            # would fail later, when stored, as a 500.
            abort(422, messages={"json": {where or "_": [
                "Contains a lone surrogate (\\ud800-\\udfff), which is not valid Unicode."]}})
        return data


def lone_surrogate(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (key or value) holding a lone surrogate, or None."""
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if _SURROGATE.search(str(key)):
                return path or "_"
            found = lone_surrogate(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = lone_surrogate(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")
REQUEST_PARSER = RequestParser()
