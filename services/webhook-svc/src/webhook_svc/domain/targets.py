"""The SSRF guard's rules, in one place: which URLs a webhook may be sent to, and which addresses their hosts may
resolve to.

- Only `http` and `https` URLs with a host, no user information (`user:pass@`), at most 2,048 characters.
- Every address the host resolves to is checked, IPv4 and IPv6 alike (an IPv4-mapped IPv6 address `::ffff:a.b.c.d`,
  and the IPv4 address inside a 6to4 or Teredo address, is judged as that IPv4 address). One refused address refuses
  the target: a name that resolves to a public and a private address could be answered with either.
- Always refused: unspecified (`0.0.0.0`, `::`), multicast, reserved, and link-local addresses (`169.254.0.0/16`,
  `fe80::/10`: cloud metadata services live there).
- Refused unless the admin setting `allow_private_targets` is on: loopback, private (RFC 1918, unique local
  `fc00::/7`) and any other address that is not globally routable (shared `100.64.0.0/10`, documentation ranges...).

The rules are applied when an endpoint is registered or its URL changed, and again at every delivery, on the addresses
the connection is actually made to (adapters/http.py), so a name that resolves differently later (DNS rebinding) is
refused then. Redirects are never followed."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefusedError(ValueError):
    """A URL or an address a webhook may not be sent to; the message names the problem."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # without brackets for an IPv6 literal
    port: int


def parse_target(url: str) -> Target:
    """The URL's scheme, host and port; refused when it is not an http(s) URL with a host."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefusedError(f"longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefusedError(f"not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefusedError(f"only http and https URLs are allowed, not {scheme or 'no scheme'!r}")
    if not parts.hostname:
        raise TargetRefusedError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefusedError("the URL may not carry a user name or password")
    return Target(scheme=scheme, host=parts.hostname, port=port or (443 if scheme == "https" else 80))


def literal_address(host: str) -> IPAddress | None:
    """The host as an IP address when it is one (a literal), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    return address.teredo[1] if address.teredo is not None else None


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why a webhook may not be sent to `address` (e.g. "a loopback address"), or None when it may."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return refusal(embedded, allow_private=allow_private)
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_loopback:  # before reserved: ::1 lies in the reserved ::/8
        return None if allow_private else "a loopback address"
    if address.is_reserved:
        return "a reserved address"
    if allow_private:
        return None
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "an address that is not globally routable"
    return None


def check_addresses(host: str, addresses: list[str], *, allow_private: bool) -> None:
    """Raise TargetRefusedError naming the first address of `host` a webhook may not be sent to."""
    if not addresses:
        raise TargetRefusedError(f"host {host!r} does not resolve")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is not part of it
        why = refusal(address, allow_private=allow_private)
        if why is not None:
            allowable = not allow_private and refusal(address, allow_private=True) is None
            hint = " (an admin may allow private targets: PUT /api/webhooks/settings)" if allowable else ""
            shown = host if host == text else f"{host!r} resolves to {text}, which"
            raise TargetRefusedError(f"{shown} is {why}{hint}")
