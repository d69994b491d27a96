"""Headers on the wire: what the upstream receives and what the client gets back."""

from __future__ import annotations

import gzip

import httpx

from strangler_proxy.engine import wire
from tests.strangler_proxy.proxy_stack import Running
from tests.strangler_proxy.standin import GZIP_PAYLOAD

# -- the pure rules -----------------------------------------------------------------------


def test_request_headers_strip_hop_by_hop_and_those_named_in_connection() -> None:
    out = wire.request_headers(
        [
            (b"host", b"shop.example"),
            (b"connection", b"keep-alive, X-Secret-Hop"),
            (b"x-secret-hop", b"1"),
            (b"keep-alive", b"timeout=5"),
            (b"te", b"trailers"),
            (b"upgrade", b"websocket"),
            (b"proxy-authorization", b"Basic Zm9v"),
            (b"accept", b"application/json"),
        ],
        client_ip="10.0.0.7",
        scheme="http",
        request_id=b"rid-1",
    )
    names = [n for n, _ in out]
    assert names == [
        b"host",
        b"accept",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-request-id",
    ]


def test_forwarded_for_is_appended_and_proto_host_replaced_with_zero_trusted_hops() -> None:
    out = dict(
        wire.request_headers(
            [
                (b"host", b"shop"),
                (b"x-forwarded-for", b"1.2.3.4"),
                (b"x-forwarded-proto", b"https"),
                (b"x-forwarded-host", b"evil.example"),
            ],
            client_ip="10.0.0.7",
            scheme="http",
            request_id=b"r",
        )
    )
    assert out[b"x-forwarded-for"] == b"1.2.3.4, 10.0.0.7"
    assert out[b"x-forwarded-proto"] == b"http"
    assert out[b"x-forwarded-host"] == b"shop"


def test_client_address_trusts_only_the_configured_hops() -> None:
    headers = [(b"x-forwarded-for", b"6.6.6.6, 1.2.3.4")]
    assert wire.client_address("10.0.0.1", headers, trusted_hops=0) == "10.0.0.1"
    assert wire.client_address("10.0.0.1", headers, trusted_hops=1) == "1.2.3.4"
    assert wire.client_address("10.0.0.1", headers, trusted_hops=5) == "6.6.6.6"


def test_internal_headers_and_bad_request_ids_do_not_pass() -> None:
    out = dict(
        wire.request_headers(
            [(b"x-strangler-route", b"forged"), (b"x-request-id", b"bad id\x01")],
            client_ip=None,
            scheme="http",
            request_id=wire.request_id([(b"x-request-id", b"bad id\x01")], b"fresh"),
        )
    )
    assert b"x-strangler-route" not in out
    assert out[b"x-request-id"] == b"fresh"


def test_response_headers_strip_hop_by_hop_and_keep_encoding() -> None:
    out = wire.response_headers(
        [
            (b"connection", b"x-internal"),
            (b"x-internal", b"1"),
            (b"transfer-encoding", b"chunked"),
            (b"content-encoding", b"gzip"),
            (b"set-cookie", b"a=1"),
        ],
        b"rid",
    )
    assert out == [
        (b"content-encoding", b"gzip"),
        (b"set-cookie", b"a=1"),
        (b"x-request-id", b"rid"),
    ]


# -- through the real proxy -----------------------------------------------------------------


def echo(edge: Running, path: str = "/anything", **kwargs: object) -> dict[str, object]:
    response = httpx.get(edge.url + path, trust_env=False, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    doc: dict[str, object] = response.json()
    return doc


def test_the_upstream_sees_forwarding_headers_and_a_request_id(edge: Running) -> None:
    doc = echo(
        edge,
        "/anything?q=1",
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Strangler-Route": "forged",
            "Connection": "X-Hop",
            "X-Hop": "secret",
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        },
    )
    headers = doc["headers"]
    assert isinstance(headers, dict)
    assert doc["served_by"] == "monolith" and doc["query"] == "q=1"
    assert headers["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == f"127.0.0.1:{edge.port}"
    assert headers["traceparent"] == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert len(headers["x-request-id"]) > 8
    assert "x-strangler-route" not in headers and "x-hop" not in headers


def test_a_request_id_is_passed_through_and_returned(edge: Running) -> None:
    response = httpx.get(
        edge.url + "/anything", headers={"X-Request-ID": "abc-123"}, trust_env=False
    )
    assert response.json()["headers"]["x-request-id"] == "abc-123"
    assert response.headers["x-request-id"] == "abc-123"


def test_compressed_bodies_pass_byte_for_byte(edge: Running) -> None:
    with httpx.stream(
        "GET", edge.url + "/gzip", headers={"Accept-Encoding": "gzip"}, trust_env=False
    ) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-length"] == str(len(GZIP_PAYLOAD))
    assert raw == GZIP_PAYLOAD
    assert gzip.decompress(raw).startswith(b'{"compressed": true}')


def test_no_cookie_is_kept_between_users(edge: Running) -> None:
    first = httpx.get(edge.url + "/anything", trust_env=False)
    assert "seen_by=monolith" in first.headers["set-cookie"]
    second = echo(edge)
    headers = second["headers"]
    assert isinstance(headers, dict) and "cookie" not in headers


def test_proxy_variables_in_the_environment_are_ignored(edge: Running) -> None:
    # the proxy runs with HTTP_PROXY/ALL_PROXY pointing at a dead port (see conftest)
    assert echo(edge)["served_by"] == "monolith"
    assert echo(edge, "/svc/items")["served_by"] == "catalog"


def test_head_and_options_pass_through(edge: Running) -> None:
    head = httpx.head(edge.url + "/anything", trust_env=False)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0  # the GET's length, as the upstream said
    options = httpx.options(edge.url + "/anything", trust_env=False)
    assert options.json()["method"] == "OPTIONS"


def test_keep_alive_connections_carry_many_requests(edge: Running) -> None:
    with httpx.Client(base_url=edge.url, trust_env=False) as client:
        ids = {client.get("/anything").headers["x-request-id"] for _ in range(50)}
    assert len(ids) == 50
