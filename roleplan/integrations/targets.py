"""Where a webhook may go, and how it is sent there: the SSRF guard and one HTTP POST.

- **Refused addresses.** A target's host is resolved; if any address it resolves to is
  loopback, private, link-local, shared (carrier NAT), reserved, multicast or unspecified — IPv4
  or IPv6, IPv4-mapped and 6to4/Teredo-embedded IPv4 included — the target is refused, unless
  WEBHOOKS_ALLOW_PRIVATE is on (tests, intranets). Checked when the subscription is saved and
  again at every delivery (DNS can change).
- **No rebinding.** The delivery connects to the address it just checked (not to the name
  again), with the host name kept for the Host header and for TLS (SNI and the certificate).
- **Bounded.** No redirect is followed (a 3xx is a failure), each socket operation waits at most
  WEBHOOK_TIMEOUT seconds, and at most WEBHOOK_RESPONSE_BYTES of the answer are read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL may not be a webhook target; the message says why, for the person."""


def embedded_ipv4(address: IpAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return None


def is_public(address: IpAddress) -> bool:
    inner = embedded_ipv4(address)
    if inner is not None and not is_public(inner):
        return False
    return (
        not (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
            or (isinstance(address, ipaddress.IPv4Address) and address in SHARED)
        )
        and address.is_global
    )


SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


def resolve(url: str, *, allow_private: bool | None = None) -> Target:
    """The URL's host resolved to one address it may be sent to; TargetRefused otherwise."""
    allow = settings.WEBHOOKS_ALLOW_PRIVATE if allow_private is None else allow_private
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise TargetRefused("Use an http:// or https:// address.")
    if parts.username or parts.password:
        raise TargetRefused("Put no user name or password in the address.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused("The port is not a number from 1 to 65535.") from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"{parts.hostname} does not resolve to an address.") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not allow:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise TargetRefused(
                f"{parts.hostname} resolves to {refused[0]}, a private, loopback, link-local or "
                "reserved address: webhooks go to public addresses only."
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, str(addresses[0]))


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, not to the host name again."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, verified against the host name (SNI and certificate)."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self.address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` after the guard (TargetRefused), without following redirects."""
    target = resolve(url)
    connection_class = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    connection = connection_class(target, timeout=settings.WEBHOOK_TIMEOUT)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.read(settings.WEBHOOK_RESPONSE_BYTES))
    finally:
        connection.close()
