"""The one guarded HTTP client for every outbound request (SSRF defence).

A URL typed by a tenant admin must not reach our own network: the loopback interface, the
private ranges, the cloud metadata service. So every request here:

- accepts only http(s) and, for public hosts, a short list of ports;
- resolves the host once and checks *every* address it resolves to (``address_check``);
- connects to the checked address itself (the URL is rewritten to the IP, the Host header and
  the TLS server name keep the real host name), so a second DNS answer cannot swap it
  (DNS rebinding);
- follows redirects by hand, re-checking each hop, and drops credentials when the origin changes;
- caps the response size and the total time;
- fails with ``OutboundError`` messages that name no internal address or exception detail.

``OUTBOUND_ALLOWED_PRIVATE_HOSTS`` lists host names (or CIDR networks) a self-hosted
deployment trusts to be private, e.g. an intranet Prometheus; the test suite lists 127.0.0.1.
Allowed private hosts may use any port. The cloud metadata addresses are refused even then.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import certifi
import httpx
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_ALLOWED_PORTS = (80, 443, 8080, 8443)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TIMEOUT = 15.0
MAX_REDIRECTS = 5
USER_AGENT = "okrplatform-integrations/1"

# Never reachable, whatever the allowlist says: they hand out cloud credentials.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")


class OutboundError(Exception):
    """A request was refused or failed. The message is safe to show to the tenant.

    ``transient`` says whether trying again later may help (timeouts, 5xx, 429).
    ``status_code`` is the upstream HTTP status when there was one.
    """

    def __init__(self, message: str, *, transient: bool = False, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status_code = status_code


class AddressRefusedError(OutboundError):
    """The destination is not a public address (or not an allowed port)."""


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address hidden inside an IPv6 one (mapped, 6to4, Teredo, NAT64), if any."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
        if address in NAT64_PREFIX:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    address = _embedded_ipv4(address)
    return not (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in ipaddress.ip_network("100.64.0.0/10")  # CGNAT; is_global already, belt
    )


def _allowlist() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    hosts: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for raw in getattr(settings, "OUTBOUND_ALLOWED_PRIVATE_HOSTS", ()):
        entry = raw.strip().lower()
        if "/" in entry:
            networks.append(ipaddress.ip_network(entry, strict=False))
        elif entry:
            hosts.add(entry)
    return hosts, networks


def _allowed_ports() -> tuple[int, ...]:
    return tuple(getattr(settings, "OUTBOUND_ALLOWED_PORTS", DEFAULT_ALLOWED_PORTS))


def address_check(host: str, port: int, *, enforce_ports: bool = True) -> str:
    """Resolve ``host`` once, check every address, and return the one address to connect to.

    Used for HTTP and for SQL hosts alike. Raises ``AddressRefusedError`` with a message that does
    not reveal what the name resolved to.
    """
    host = host.strip().lower().rstrip(".")
    if not host:
        raise AddressRefusedError("A host name is required.")
    allowed_hosts, allowed_networks = _allowlist()
    host_allowed = host in allowed_hosts
    if enforce_ports and not host_allowed and port not in _allowed_ports():
        ports = ", ".join(str(p) for p in _allowed_ports())
        raise AddressRefusedError(f"Port {port} is not allowed; use one of {ports}.")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise AddressRefusedError(f"The host name “{host}” could not be resolved.") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise AddressRefusedError(f"The host name “{host}” could not be resolved.")
    for address in addresses:
        if _embedded_ipv4(address) in METADATA_ADDRESSES or address in METADATA_ADDRESSES:
            raise AddressRefusedError(f"“{host}” points to an address that is not allowed.")
        if is_public_address(address) or host_allowed:
            continue
        if any(address in network for network in allowed_networks):
            continue
        raise AddressRefusedError(
            f"“{host}” points to a private or reserved network address, which is not allowed."
        )
    return str(addresses[0])


@dataclass
class OutboundResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str
    elapsed: float = 0.0
    history: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        charset = "utf-8"
        content_type = self.headers.get("content-type", "")
        if "charset=" in content_type:
            charset = content_type.split("charset=")[-1].split(";")[0].strip() or "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Built once: loading the CA bundle costs tens of milliseconds per client otherwise."""
    return ssl.create_default_context(cafile=certifi.where())


# Pooled clients of this process, one per (scheme, host name): a kept-alive connection (and its
# TLS session) is reused only for the host name it was opened for and whose certificate it
# checked, never for another name that happens to resolve to the same address. Every request
# still resolves and checks its address first and connects to that address; a connection to
# an address the name no longer resolves to is never picked (the pool is keyed by address).
MAX_POOLED_HOSTS = 64
_pool_lock = threading.Lock()
_pool: OrderedDict[tuple[str, str], httpx.Client] = OrderedDict()
_pool_pid = 0


def _new_client() -> httpx.Client:
    # trust_env=False: a proxy from the environment would connect by name and undo the pinning.
    return httpx.Client(follow_redirects=False, trust_env=False, verify=_tls_context())


def _client_for(url: httpx.URL) -> httpx.Client:
    global _pool_pid  # noqa: PLW0603 - the pool belongs to one process
    key = (url.scheme, url.host)
    with _pool_lock:
        if _pool_pid != os.getpid():  # a forked worker: the parent's sockets are not its own
            _pool.clear()
            _pool_pid = os.getpid()
        client = _pool.get(key)
        if client is None:
            client = _pool[key] = _new_client()
            if len(_pool) > MAX_POOLED_HOSTS:
                _key, oldest = _pool.popitem(last=False)
                oldest.close()
        else:
            _pool.move_to_end(key)
        return client


def warm_up() -> None:
    """Do once, when a worker process starts, what its first request would otherwise pay for:
    reading the CA bundle and importing the HTTP transport's lazily loaded modules."""
    _new_client().close()


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _pinned_request(
    url: httpx.URL,
    *,
    method: str,
    headers: dict[str, str],
    content: bytes | None,
    max_bytes: int,
    deadline: float,
    timeout: float,
) -> tuple[int, httpx.Headers, bytes]:
    if url.scheme not in ("http", "https"):
        raise OutboundError("Only http and https URLs are allowed.")
    if url.userinfo:
        raise OutboundError("Put credentials in the authentication settings, not in the URL.")
    port = url.port or (443 if url.scheme == "https" else 80)
    address = address_check(url.host, port)
    pinned = url.copy_with(host=address)
    host_header = url.host if url.port is None else f"{url.host}:{url.port}"
    request_headers = {**headers, "Host": host_header}
    extensions: dict[str, Any] = {}
    if url.scheme == "https":
        # TLS checks the certificate against the real name while the socket goes to `address`.
        extensions["sni_hostname"] = url.host
    remaining = max(deadline - time.monotonic(), 0.001)
    client = _client_for(url)
    request = client.build_request(
        method,
        pinned,
        headers=request_headers,
        content=content,
        extensions=extensions,
        timeout=httpx.Timeout(min(timeout, remaining)),
    )
    response = client.send(request, stream=True)
    try:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise OutboundError(f"The response is larger than the {max_bytes // 1024} KB allowed.")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > max_bytes:
                raise OutboundError(
                    f"The response is larger than the {max_bytes // 1024} KB allowed."
                )
            if time.monotonic() > deadline:
                raise OutboundError("The server took too long to answer.", transient=True)
            chunks.append(chunk)
        return response.status_code, response.headers, b"".join(chunks)
    finally:
        response.close()


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    follow_redirects: bool = True,
    credential_headers: tuple[str, ...] = (),
) -> OutboundResponse:
    """Send one request through the guards. Never raises anything but ``OutboundError``.

    ``credential_headers`` names extra headers (an API-key header) that, like Authorization
    and Cookie, are not sent on to a different origin after a redirect.
    """
    started = time.monotonic()
    deadline = started + timeout
    current = httpx.URL(url)
    headers = {"User-Agent": USER_AGENT, **(headers or {})}
    history: list[str] = []
    # Content-encoding is left alone (iter_raw) so the size cap counts the bytes on the wire
    # and a compressed bomb cannot expand past it.
    headers.setdefault("Accept-Encoding", "identity")
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            status, response_headers, body = _pinned_request(
                current,
                method=method,
                headers=headers,
                content=content,
                max_bytes=max_bytes,
                deadline=deadline,
                timeout=timeout,
            )
        except OutboundError:
            raise
        except httpx.TimeoutException:
            raise OutboundError("The server took too long to answer.", transient=True) from None
        except httpx.InvalidURL:
            raise OutboundError("The URL is not valid.") from None
        except (httpx.HTTPError, OSError, ValueError):
            raise OutboundError("Could not connect to the server.", transient=True) from None
        location = response_headers.get("location")
        if follow_redirects and status in (301, 302, 303, 307, 308) and location:
            history.append(str(current))
            try:
                next_url = httpx.URL(urljoin(str(current), location))
            except httpx.InvalidURL:
                raise OutboundError("The server redirected to an invalid URL.") from None
            if _origin(next_url) != _origin(current):
                headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}
                dropped = {name.lower() for name in credential_headers}
                headers = {k: v for k, v in headers.items() if k.lower() not in dropped}
            if status == 303 or (status in (301, 302) and method.upper() == "POST"):
                method, content = "GET", None
            current = next_url
            continue
        return OutboundResponse(
            status_code=status,
            headers=response_headers,
            content=body,
            url=str(current),
            elapsed=time.monotonic() - started,
            history=history,
        )
    raise OutboundError(f"Too many redirects (more than {MAX_REDIRECTS}).")


def raise_for_status(response: OutboundResponse) -> None:
    """Turn an HTTP error status into an ``OutboundError`` that says whether to retry."""
    status = response.status_code
    if status < 400:
        return
    if status == 429 or status >= 500:
        raise OutboundError(
            f"The server answered {status} (a temporary error).",
            transient=True,
            status_code=status,
        )
    if status in (401, 403):
        raise OutboundError(
            f"The server refused the credentials ({status}). Check the authentication settings.",
            status_code=status,
        )
    raise OutboundError(f"The server answered {status}.", status_code=status)
