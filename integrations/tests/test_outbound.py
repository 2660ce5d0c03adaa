"""The guarded client: SSRF refusals, pinning, redirects, size and time caps."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from integrations import outbound
from integrations.outbound import AddressRefusedError, OutboundError, address_check
from integrations.tests.httpserver import Reply, fake_server


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "2002:7f00:1::",
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not outbound.is_public_address(ipaddress.ip_address(address))


def test_public_addresses_pass() -> None:
    assert outbound.is_public_address(ipaddress.ip_address("93.184.216.34"))
    assert outbound.is_public_address(ipaddress.ip_address("2606:2800:220:1::1"))


def test_a_name_resolving_to_loopback_is_refused_when_not_allowlisted() -> None:
    with fake_server({"/": Reply(body=b"secret")}) as server:
        # The server is up and 127.0.0.1 is allowlisted by IP literal, but "localhost" is not.
        assert outbound.request("GET", server.url("/")).content == b"secret"
        with pytest.raises(AddressRefusedError) as caught:
            outbound.request("GET", server.url("/", host="localhost"))
    assert "127.0.0.1" not in caught.value.message
    assert not server.requests[1:]


def test_every_resolved_address_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(AddressRefusedError, match="private"):
        address_check("mixed.example.com", 443)


def test_the_connection_is_pinned_to_the_checked_address(
    monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    """DNS rebinding: the first answer is checked; a second lookup must not happen."""
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["rebind.test"]  # type: ignore[attr-defined]
    calls: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        calls.append(host)
        if host == "rebind.test" and len(calls) > 1:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.9.9.9", port))]
        if host == "rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with fake_server({"/": Reply(body=b"ok")}) as server:
        response = outbound.request("GET", server.url("/", host="rebind.test"))
    assert response.content == b"ok"
    # Resolved once by name; the socket then went to the checked IP literal.
    assert calls == ["rebind.test", "127.0.0.1"]
    assert server.requests[0].headers["host"] == f"rebind.test:{server.port}"


def test_a_redirect_to_the_metadata_service_is_refused() -> None:
    redirect = Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with fake_server({"/start": redirect}) as server, pytest.raises(AddressRefusedError) as caught:
        outbound.request("GET", server.url("/start"))
    assert "not allowed" in caught.value.message
    assert len(server.requests) == 1


def test_metadata_is_refused_even_when_allowlisted(settings: object) -> None:
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["169.254.169.254", "169.254.0.0/16"]  # type: ignore[attr-defined]
    with pytest.raises(AddressRefusedError):
        address_check("169.254.169.254", 80)


def test_redirect_within_origin_keeps_and_across_origin_drops_credentials(
    settings: object,
) -> None:
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]  # type: ignore[attr-defined]
    with fake_server({"/final": Reply(body=b"done")}) as target:
        routes = {
            "/a": Reply(302, headers={"Location": "/b"}),
            "/b": Reply(302, headers={"Location": target.url("/final", host="localhost")}),
        }
        with fake_server(routes) as origin:
            response = outbound.request(
                "GET",
                origin.url("/a"),
                headers={"Authorization": "Bearer s3cret", "X-Api-Key": "k3y"},
                credential_headers=("X-Api-Key",),
            )
    assert response.content == b"done"
    assert origin.requests[1].headers["authorization"] == "Bearer s3cret"
    assert "authorization" not in target.requests[0].headers
    assert "x-api-key" not in target.requests[0].headers


def test_only_http_and_https() -> None:
    for url in ("file:///etc/passwd", "gopher://127.0.0.1/", "ftp://example.com/"):
        with pytest.raises(OutboundError):
            outbound.request("GET", url)


def test_ports_outside_the_list_are_refused_for_public_hosts() -> None:
    with pytest.raises(AddressRefusedError, match="Port 22"):
        address_check("example.com", 22)


def test_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(OutboundError, match="credentials"):
        outbound.request("GET", "http://user:pw@127.0.0.1:9/")


def test_a_50_mb_body_is_cut_off() -> None:
    with (
        fake_server({"/big": Reply(stream_bytes=50 * 1024 * 1024)}) as server,
        pytest.raises(OutboundError, match="larger than"),
    ):
        outbound.request("GET", server.url("/big"), max_bytes=1024 * 1024)


def test_a_declared_oversized_body_is_refused_before_reading() -> None:
    with (
        fake_server({"/big": Reply(body=b"x" * 2048)}) as server,
        pytest.raises(OutboundError, match="larger than"),
    ):
        outbound.request("GET", server.url("/big"), max_bytes=1024)


def test_an_upstream_timeout_is_transient_and_vague() -> None:
    with (
        fake_server({"/slow": Reply(body=b"late", delay=2.0)}) as server,
        pytest.raises(OutboundError) as caught,
    ):
        outbound.request("GET", server.url("/slow"), timeout=0.3)
    assert caught.value.transient
    assert "took too long" in caught.value.message


def test_connection_refused_is_transient_and_reveals_nothing() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(OutboundError) as caught:
        outbound.request("GET", f"http://127.0.0.1:{port}/")
    assert caught.value.transient
    assert str(port) not in caught.value.message


def test_too_many_redirects() -> None:
    with (
        fake_server({"/loop": Reply(302, headers={"Location": "/loop"})}) as server,
        pytest.raises(OutboundError, match="Too many redirects"),
    ):
        outbound.request("GET", server.url("/loop"))


@pytest.mark.parametrize(
    ("status", "transient"), [(500, True), (503, True), (429, True), (404, False), (401, False)]
)
def test_status_classification(status: int, transient: bool) -> None:
    with fake_server({"/": Reply(status, b"")}) as server:
        response = outbound.request("GET", server.url("/"))
    with pytest.raises(OutboundError) as caught:
        outbound.raise_for_status(response)
    assert caught.value.transient is transient
    assert caught.value.status_code == status
