"""Where a webhook may be sent (CONTRACT §D): only to public addresses, checked on the
resolved addresses at registration and again at every attempt (a name may be re-pointed to an
internal address after registration: DNS rebinding). The attempt then connects to the address
checked, not to a second resolution of the name.

Refused: private, loopback (unless the server allows http:// to loopback for development),
link-local (169.254.169.254, the cloud metadata service), multicast, reserved, unspecified,
shared (100.64/10), documentation and every other non-global range, IPv4 and IPv6 alike, and an
IPv4 address in IPv6 clothing (::ffff:10.0.0.1, 6to4, Teredo) judged by the IPv4 inside.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult

from widget_server.domain.webhooks import parsed_url, url_refused

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """A checked URL: what to connect to and what to ask for."""

    scheme: str
    host: str  # the name, for the Host header and the TLS certificate
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]  # every resolved address, each checked


def check(url: str, allow_loopback: bool) -> Target:
    """The URL's target once its form and every address it resolves to are acceptable;
    raises ValidationFailed (naming `url` and why) otherwise."""
    parts = parsed_url(url, allow_loopback)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(parts, port)
    for address in addresses:
        reason = refused_address(address, allow_loopback)
        if reason:
            raise url_refused(reason)
    if parts.scheme == "http" and not all(a.is_loopback for a in addresses):
        raise url_refused("http:// is allowed only to loopback; use https://.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    assert parts.hostname is not None
    return Target(parts.scheme, parts.hostname, port, path, tuple(str(a) for a in addresses))


def resolve(parts: SplitResult, port: int) -> list[Address]:
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise url_refused(f"The host {host!r} does not resolve.") from None
    addresses: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise url_refused(f"The host {host!r} does not resolve.")
    return addresses


def refused_address(address: Address, allow_loopback: bool) -> str | None:
    """Why a webhook must not go to this address, or None."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return refused_address(inner, allow_loopback)
    if address.is_loopback:
        return None if allow_loopback else f"{address} is a loopback address."
    if address.is_unspecified:
        return f"{address} is the unspecified address."
    if address.is_link_local:
        return f"{address} is a link-local address."
    if address.is_multicast:
        return f"{address} is a multicast address."
    if address.is_private:
        return f"{address} is a private address."
    if address.is_reserved:
        return f"{address} is a reserved address."
    if not address.is_global:
        return f"{address} is not a public address."
    return None


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
