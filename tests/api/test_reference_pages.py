"""The start page and the API reference page: public, the pages' strict CSP, no data, no
settings (issue 15 item 4; the Chromium side is tests/browser/test_reference.py)."""

from flask import Flask

from tests.api.conftest import Api
from tests.conftest import SECRET

STRICT = ("default-src 'none'", "script-src 'self'", "style-src 'self'",
          "frame-ancestors 'none'")


def test_the_start_page_links_the_docs_and_health_and_holds_nothing_else(
        app: Flask, api: Api) -> None:
    api.call()  # some data exists; none of it shows
    response = app.test_client().get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    for directive in STRICT:
        assert directive in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    for link in ('href="/api/docs"', 'href="/api/asyncapi.json"', 'href="/api/openapi.json"',
                 'href="/.well-known/jwks.json"', 'href="/healthz"', 'href="/readyz"'):
        assert link in page, link
    assert "<script" not in page and " style=" not in page
    assert SECRET not in page and "Lecture 1" not in page and "sqlite" not in page


def test_the_reference_page_loads_only_its_own_files(app: Flask) -> None:
    response = app.test_client().get("/api/docs")
    assert response.status_code == 200
    for directive in STRICT:
        assert directive in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert 'src="/static/vendor/swagger-ui-bundle.js"' in page
    assert 'href="/static/vendor/swagger-ui.css"' in page
    assert 'data-spec-url="/api/openapi.json"' in page
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    assert " style=" not in page and "<script>" not in page
    for asset in ("/static/vendor/swagger-ui-bundle.js", "/static/vendor/swagger-ui.css",
                  "/static/apidocs/main.js"):
        answer = app.test_client().get(asset)
        assert answer.status_code == 200, asset
        answer.close()  # a file response: close it


def test_the_api_reference_lives_beside_the_openapi_document(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/asyncapi.json").status_code == 200
    # flask-smorest's own UIs (which load from CDNs) stay off.
    assert client.get("/api/swagger-ui").status_code == 404
    assert client.get("/api/redoc").status_code == 404
