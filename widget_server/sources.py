"""Who is asking, as a key for rate limits: an HMAC of the client's address, never the address.

The key is what limits count by; the address itself is neither stored nor logged. With one
process the HMAC key is made per process (counts live in its memory). With a message queue the
counts live in Redis, shared by every process, so the key is derived from the shared SECRET_KEY.

Behind a reverse proxy every request comes from the proxy: TRUSTED_PROXY_HOPS (0 by default)
says how many proxies append to X-Forwarded-For; the client is the entry that many from the
right. Without it, X-Forwarded-For is ignored: clients could write anything there.
"""

import hashlib
import hmac
import secrets
from typing import Any


class Sources:
    def __init__(self, secret_key: str, shared: bool, proxy_hops: int) -> None:
        self._key = (hmac.new(secret_key.encode(), b"rate-limit-source-v1", hashlib.sha256)
                     .digest() if shared else secrets.token_bytes(32))
        self.proxy_hops = proxy_hops

    def key(self, environ: dict[str, Any]) -> str:
        address = self._address(environ)
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:32]

    def _address(self, environ: dict[str, Any]) -> str:
        if self.proxy_hops > 0:
            chain = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if a.strip()]
            if len(chain) >= self.proxy_hops:
                return chain[-self.proxy_hops]
        return str(environ.get("REMOTE_ADDR", ""))


def for_app(config: Any) -> Sources:
    return Sources(str(config["SECRET_KEY"]), bool(config.get("MESSAGE_QUEUE")),
                   int(config.get("TRUSTED_PROXY_HOPS") or 0))
