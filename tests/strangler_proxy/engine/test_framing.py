"""Ambiguous framing and oversized requests, sent over raw sockets (no client library to
tidy them up): each is refused with its status and a JSON body, and the connection closes
(so nothing smuggled after it can be read as a second request)."""

from __future__ import annotations

import json
import socket

import pytest

from tests.envelope import error_of
from tests.strangler_proxy.proxy_stack import Running

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


def exchange(port: int, data: bytes, timeout: float = 3.0) -> tuple[int, dict[str, object], bool]:
    """Send ``data``; returns (status, JSON body, whether the server closed the connection).

    The keep-alive timeout is 5 s, so a close seen within ``timeout`` is the proxy's doing."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(timeout)
        sock.sendall(data)
        raw, closed = b"", False
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                raw += chunk
        except TimeoutError:
            pass
        except ConnectionResetError:
            closed = True
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"/smuggled" not in raw
    return status, json.loads(body), closed


AMBIGUOUS = {
    "content-length and transfer-encoding": (
        b"POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED
    ),
    "differing content-lengths": (
        b"POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 41\r\n\r\n"
        b"hello" + SMUGGLED
    ),
    "a content-length list": (
        b"POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 41\r\n\r\nhello" + SMUGGLED
    ),
    "an empty content-length": (
        b"POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n" + SMUGGLED
    ),
    "a signed content-length": (
        b"POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello" + SMUGGLED
    ),
    "transfer-encoding not ending in chunked": (
        b"POST /anything HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n" + SMUGGLED
    ),
    "transfer-encoding identity": (
        b"POST /anything HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n" + SMUGGLED
    ),
    "transfer-encoding twice": (
        b"POST /anything HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED
    ),
    "transfer-encoding in HTTP/1.0": (
        b"POST /anything HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        + SMUGGLED
    ),
    "obsolete line folding": (
        b"GET /anything HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n" + SMUGGLED
    ),
    "two host headers": (b"GET /anything HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + SMUGGLED),
    "space before the colon": (
        b"POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello" + SMUGGLED
    ),
}


@pytest.mark.parametrize("case", list(AMBIGUOUS))
def test_ambiguous_framing_is_refused_and_the_connection_closed(edge: Running, case: str) -> None:
    status, body, closed = exchange(edge.port, AMBIGUOUS[case])
    assert status == 400
    assert error_of(body, 400)["message"]
    assert closed


def test_a_coding_before_chunked_is_not_implemented(edge: Running) -> None:
    data = (
        b"POST /anything HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED
    )
    status, body, closed = exchange(edge.port, data)
    assert (status, error_of(body)["message"]) == (
        501,
        "only Transfer-Encoding: chunked is supported",
    )
    assert closed


def test_plain_chunked_bodies_are_fine(edge: Running) -> None:
    data = (
        b"POST /anything HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close"
        b"\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    status, body, _ = exchange(edge.port, data)
    assert (status, body["served_by"], body["body_bytes"]) == (200, "monolith", 11)


def test_headers_too_large_get_431(edge: Running) -> None:
    data = b"GET /anything HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n"
    status, body, closed = exchange(edge.port, data)
    assert (status, error_of(body)["message"]) == (431, "request headers too large")
    assert closed


def test_a_huge_request_target_gets_414(edge: Running) -> None:
    data = b"GET /" + b"a" * 40_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    status, _, closed = exchange(edge.port, data)
    assert status == 414 and closed  # RFC 9112 3: URI Too Long


def test_a_declared_body_over_the_limit_gets_413_before_it_is_read(edge: Running) -> None:
    data = b"POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nabc"
    status, body, closed = exchange(edge.port, data)
    assert status == 413
    assert error_of(body, 413)["message"] == "request body larger than 1073741824 bytes"
    assert closed
