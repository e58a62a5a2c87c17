"""The documentation this server serves about itself (CONTRACT §F): a start page at `/`, the
API reference at `/api/docs` (Swagger UI over the OpenAPI document, its files served from
static/vendor/), and the AsyncAPI document of the Socket.IO namespaces at
`/api/asyncapi.json`. Nothing here reads the database or shows a setting: the same public
pages for everyone."""

from functools import cache
from importlib import metadata
from typing import Any

from flask import Blueprint, Response, current_app, json, url_for

from widget_server.schemas.asyncapi import asyncapi_document
from widget_server.views.pages import _page

reference = Blueprint("reference", __name__)


@reference.get("/")
def home() -> Response:
    """A short page pointing to the documentation and the health endpoints."""
    return _page("home.html", [], openapi_url=_openapi_url(), project_url=_project_url())


@reference.get("/api/docs")
def api_docs() -> Response:
    """The API reference, rendered in the browser from /api/openapi.json.

    Swagger UI runs under the pages' policy (script-src and style-src 'self'): it styles its
    elements through the DOM (CSSOM), which style-src does not govern, and brings no inline
    script or stylesheet of its own."""
    return _page("api_docs.html", [], openapi_url=_openapi_url())


@reference.get("/api/asyncapi.json")
def asyncapi() -> Response:
    """The Socket.IO namespaces and their events (AsyncAPI 3.0)."""
    body = json.dumps(_asyncapi(current_app.config.get("PUBLIC_URL") or ""))
    return Response(body, mimetype="application/json")


@cache
def _asyncapi(public_url: str) -> dict[str, Any]:
    return asyncapi_document(public_url)


def _openapi_url() -> str:
    return url_for("api-docs.openapi_json")


@cache
def _project_url() -> str | None:
    """The project's home page from the installed package's metadata, if it names one."""
    try:
        meta = metadata.metadata("widget-server")
    except metadata.PackageNotFoundError:
        return None
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() in {"homepage", "home", "repository", "source"}:
            return url.strip()
    return (meta["Home-page"] or None) if "Home-page" in meta else None
