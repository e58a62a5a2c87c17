"""Browser pages: the widget (framed by the organisation's meeting page) and the host dashboard.

Tokens travel in the URL fragment, which browsers never send, so these views see no token. The
widget page still needs to know whose page may frame it (`frame-ancestors`); the loader therefore
puts the call id, which is no secret, in the path: `/widget/<call_id>#token=…`.
"""

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, render_template, request

from widget_server.domain.errors import DomainError, NotFound
from widget_server.domain.origins import normalise_origin
from widget_server.services.calls import embed_origins

pages = Blueprint("pages", __name__)

# An origin as a CSP source expression: scheme, host, optional port, nothing else. Anything else
# (a path, a space, a semicolon) could smuggle a directive into the header, so it is left out.
_ORIGIN = re.compile(r"^https?://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")

_BASE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'"
)


def content_security_policy(frame_ancestors: list[str]) -> str:
    allowed = [o.rstrip("/") for o in frame_ancestors if _ORIGIN.match(o.rstrip("/"))]
    ancestors = " ".join(allowed) if allowed else "'none'"
    return f"{_BASE_POLICY}; frame-ancestors {ancestors}"


def _page(template: str, frame_ancestors: list[str], status: int = 200,
          **context: Any) -> Response:
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Content-Security-Policy"] = content_security_policy(frame_ancestors)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    return response


@pages.get("/widget/<call_id>")
def widget(call_id: str) -> Response:
    """The consent UI, frameable only by the call's organisation's origins.

    The answer names one origin at most: the parent page's (from the loader's `parent` query
    parameter, else the Referer), when it is one of the organisation's, so that nobody can read
    the organisation's whole list from this public page. The browser still checks that the
    real parent is that origin."""
    with current_app.extensions["widget_db"].read_session() as session:
        try:
            origins = embed_origins(session, call_id)
        except NotFound:
            abort(404)
    parent = _parent_origin()
    return _page("widget.html", [parent] if parent in origins else [])


def _parent_origin() -> str | None:
    claimed = request.args.get("parent") or ""
    if not claimed and request.referrer:
        parts = urlsplit(request.referrer[:300])
        claimed = f"{parts.scheme}://{parts.netloc}"
    try:
        return normalise_origin(claimed[:300]) if claimed else None
    except (DomainError, ValueError):
        return None


@pages.get("/widget")
def widget_unframed() -> Response:
    """The consent UI on its own (not framed): for a link opened directly."""
    return _page("widget.html", [])


@pages.get("/receipt")
def receipt() -> Response:
    """A signed receipt, printable; the receipt is in the fragment (#jws=…), never sent here."""
    return _page("receipt.html", [])


@pages.get("/manage/<participant_id>")
def manage(participant_id: str) -> Response:
    """A participant's own page (CONTRACT §C, Manage link): what is held about them, their
    choices after the call, export and erasure. The manage secret is in the fragment
    (#key=…), never sent here; the page reads it, removes it from the address bar and sends
    it in an `Authorization: Participant` header. The id in the path is no secret; an
    unknown one gets the same page, which then says the link is not valid. Never framed."""
    del participant_id  # read by the page's script from its own path
    return _page("manage.html", [])


@pages.get("/host")
def host() -> Response:
    """The host dashboard; its token is in the fragment."""
    return _page("host.html", [])
