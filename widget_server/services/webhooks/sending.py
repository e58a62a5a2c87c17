"""One HTTP attempt of a delivery (CONTRACT §D): the URL checked again (SSRF, DNS
rebinding), a connection to the very address checked, a POST signed as Standard Webhooks asks,
no redirect followed (a 3xx is a failed attempt), a timeout per attempt.

The receiver's answer is read only as far as its status; its body is not kept.
"""

import time

import urllib3
from urllib3.exceptions import (
    HTTPError,
    NewConnectionError,
    ProtocolError,
    SSLError,
    TimeoutError,
)

from widget_server.domain.errors import ValidationFailed
from widget_server.domain.webhooks import signature
from widget_server.services.webhooks import Settings, ssrf
from widget_server.services.webhooks.delivery import Claimed, Outcome

USER_AGENT = "consent-widget-webhooks/1"
MAX_ANSWER = 64 * 1024  # bytes of an answer read (and dropped) before closing


def attempt(claimed: Claimed, settings: Settings, now: float | None = None) -> Outcome:
    try:
        target = ssrf.check(claimed.url, settings.allow_http_loopback)
    except ValidationFailed as err:
        return Outcome(None, _short("address refused: " + "; ".join(err.fields["url"])))
    timestamp = int(now if now is not None else time.time())
    body = claimed.body.encode()
    headers = {"content-type": "application/json", "user-agent": USER_AGENT,
               "webhook-id": claimed.message_id, "webhook-timestamp": str(timestamp),
               "webhook-signature": _signature(claimed, timestamp, body),
               "host": _host_header(target)}
    outcome = Outcome(None, "no address")
    for address in target.addresses:
        outcome = _post(target, address, body, headers, settings)
        if outcome.error != "connection refused":
            break
    return outcome


def _signature(claimed: Claimed, timestamp: int, body: bytes) -> str:
    return signature(claimed.secret, claimed.message_id, timestamp, body)


def _post(target: ssrf.Target, address: str, body: bytes, headers: dict[str, str],
          settings: Settings) -> Outcome:
    timeout = settings.timeout
    limits = urllib3.Timeout(connect=timeout, read=timeout)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, target.port, timeout=limits, retries=False, maxsize=1,
            server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED",
            ca_certs=settings.ca_file)
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=limits, retries=False,
                                          maxsize=1)
    deadline = time.monotonic() + timeout
    try:
        response = pool.urlopen("POST", target.path, body=body, headers=headers,
                                redirect=False, retries=False, preload_content=False,
                                assert_same_host=False)
        try:
            status = response.status
            if time.monotonic() < deadline:
                response.read(MAX_ANSWER)
        finally:
            response.release_conn()
    except NewConnectionError as err:  # (a subclass of urllib3's connect timeout)
        return Outcome(None, "connection refused" if "refused" in str(err).lower()
                       else "connection failed")
    except TimeoutError:  # connect or read
        return Outcome(None, "timeout")
    except SSLError:
        return Outcome(None, "TLS handshake failed")
    except ProtocolError:
        return Outcome(None, "connection closed without an answer")
    except HTTPError as err:
        return Outcome(None, _short(type(err).__name__))
    except OSError:
        return Outcome(None, "connection failed")
    finally:
        pool.close()
    if time.monotonic() > deadline:
        return Outcome(status, "timeout")
    if 200 <= status < 300:
        return Outcome(status, None)
    if 300 <= status < 400:
        return Outcome(status, f"redirect ({status}) not followed")
    return Outcome(status, f"answered {status}")


def _host_header(target: ssrf.Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _short(text: str) -> str:
    return text[:200]
