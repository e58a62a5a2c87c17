"""Signatures the server gives away (CONTRACT §B): compact JWS, EdDSA over Ed25519.

A KeyRing holds the key that signs now and the public keys of every key that signed before
(a rotation retires a key's private half and keeps its public half listed, so receipts and
checkpoints signed with it still verify). Key ids are RFC 7638 thumbprints, so a `kid` names
exactly one public key. Each kind of signed document has its own `typ`, so a receipt can never
pass for a checkpoint or the other way round.
"""

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from widget_server.domain.hashing import canonical_json

ALG = "EdDSA"
RECEIPT = "consent-receipt+jwt"
CHECKPOINT = "ledger-checkpoint+jwt"


class SignatureProblem(Exception):
    """Why a JWS does not verify: `kind` is malformed, unknown_key, wrong_type or signature."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def kid_of(key: Ed25519PublicKey) -> str:
    """The RFC 7638 thumbprint of the key's JWK (its required members, sorted, no spaces)."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": _b64(_raw_public(key))}
    return _b64(hashlib.sha256(canonical_json(members).encode()).digest())


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as the JWKS lists it."""
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(_raw_public(key)), "kid": kid_of(key),
            "use": "sig", "alg": ALG}


@dataclass(frozen=True)
class KeyRing:
    """The signing key and every public key that verifies (the signing key's first)."""

    signing: Ed25519PrivateKey
    retired: tuple[Ed25519PublicKey, ...] = ()
    _public: dict[str, Ed25519PublicKey] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for key in (self.signing.public_key(), *self.retired):
            self._public.setdefault(kid_of(key), key)

    @property
    def kid(self) -> str:
        return kid_of(self.signing.public_key())

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        return dict(self._public)

    def jwks(self) -> dict[str, Any]:
        """The JWK Set document of /.well-known/jwks.json."""
        return {"keys": [public_jwk(key) for key in self._public.values()]}

    def rotated(self) -> "KeyRing":
        """A ring whose new key signs; the old signing key's public half stays listed."""
        return KeyRing(Ed25519PrivateKey.generate(),
                       (self.signing.public_key(), *self.retired))

    # the key file ---------------------------------------------------------------------
    def to_file(self) -> str:
        """The key file's text: the private key that signs, the public keys retired."""
        private = self.signing.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return json.dumps({
            "signing": {**public_jwk(self.signing.public_key()), "d": _b64(private)},
            "retired": [public_jwk(key) for key in self.retired]}, indent=2) + "\n"

    @classmethod
    def from_file(cls, text: str) -> "KeyRing":
        document = json.loads(text)
        signing = Ed25519PrivateKey.from_private_bytes(_unb64(document["signing"]["d"]))
        retired = tuple(Ed25519PublicKey.from_public_bytes(_unb64(jwk["x"]))
                        for jwk in document.get("retired", []))
        return cls(signing, retired)

    @classmethod
    def generate(cls) -> "KeyRing":
        return cls(Ed25519PrivateKey.generate())


def sign(ring: KeyRing, payload: dict[str, Any], typ: str) -> str:
    """A compact JWS of the payload (canonical JSON), with the signing key's kid."""
    return jwt.api_jws.encode(canonical_json(payload).encode(), ring.signing, algorithm=ALG,
                              headers={"kid": ring.kid, "typ": typ})


def verify(public: dict[str, Ed25519PublicKey], token: str, typ: str) -> dict[str, Any]:
    """The payload of a JWS that one of `public` signed, of the expected type; else
    SignatureProblem saying what is wrong."""
    try:
        header = jwt.api_jws.get_unverified_header(token)
    except jwt.exceptions.DecodeError:
        raise SignatureProblem("malformed", "not a compact JWS") from None
    kid = header.get("kid")
    key = public.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise SignatureProblem("unknown_key",
                               f"signed with key id {kid!r}, which is not one of this "
                               "server's keys (kid altered, or another server's document)")
    if header.get("alg") != ALG or header.get("typ") != typ:
        raise SignatureProblem("wrong_type", f"not a {typ} signed with {ALG}")
    try:
        raw = jwt.api_jws.decode(token, key, algorithms=[ALG])
    except jwt.exceptions.InvalidSignatureError:
        raise SignatureProblem("signature", "the signature does not match the header and "
                               "payload (payload or signature altered)") from None
    except jwt.exceptions.DecodeError:
        raise SignatureProblem("malformed", "not a compact JWS") from None
    try:
        payload = json.loads(raw)
    except ValueError:
        raise SignatureProblem("malformed", "the payload is not JSON") from None
    if not isinstance(payload, dict):
        raise SignatureProblem("malformed", "the payload is not a JSON object")
    return payload


def unverified_payload(token: str) -> Any:
    """The payload as the JWS carries it, unchecked (to compare with a copy beside it)."""
    try:
        return json.loads(_unb64(token.split(".")[1]))
    except (IndexError, ValueError):
        return None
