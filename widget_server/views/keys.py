"""The server's public signing keys (CONTRACT §B): anyone may verify a receipt or a checkpoint
with them, without the product's code."""

from flask import Blueprint, Response, current_app, json

keys = Blueprint("keys", __name__)


@keys.get("/.well-known/jwks.json")
def jwks() -> Response:
    """The JWK Set (OKP/Ed25519, with kid): the key that signs now and every retired one.
    JSON whatever the Accept header asks for: the document has one representation."""
    document = current_app.extensions["widget_keys"].ring().jwks()
    response = Response(json.dumps(document), mimetype="application/json")
    # Public by nature: a verifier on any origin may read it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
