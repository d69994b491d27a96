"""HTTP conformance of the engine's front, one table: each row a requirement of RFC 9112 /
RFC 9110 on a server or an intermediary about requests it receives, the bytes that test it,
and the answer expected from the engine and from nginx (Debian's package, a reverse proxy in
front of the same echoing upstream: the reference, run live when nginx is installed).

The README's "HTTP conformance" section is this table in prose; rows where the two differ
say why there.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.strangler_proxy.engine.conformance import (
    Answer,
    nginx,
    nginx_binary,
    read_answer,
    send_raw,
)
from tests.strangler_proxy.proxy_stack import Running

H = b"Host: example.test\r\n"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
NGINX = nginx_binary()
ANY = "*"  # a header that must be there, whatever its value


@dataclass(frozen=True)
class Expect:
    """What a proxy answers: the status of its first final answer, and optionally whether the
    connection closed after the answers, what the upstream saw (the echo's JSON), headers
    and body of the first answer, the statuses of the answers after it."""

    status: int
    closed: bool | None = None
    path: str | None = None  # the path the upstream received (percent-decoded once)
    query: str | None = None  # the query string the upstream received
    forwarded: dict[str, str | None] = field(default_factory=dict)  # None: not forwarded
    headers: dict[str, str | None] = field(default_factory=dict)  # of the answer (None: absent)
    body_starts: bytes | None = None
    body_bytes: int | None = None  # the request body size the upstream received
    then: tuple[int, ...] = ()  # the statuses of the answers after the first
    interim: int = 0  # 1xx answers before the final one


@dataclass(frozen=True)
class Case:
    id: str
    rfc: str  # section, and the keyword the requirement uses
    data: bytes
    ours: Expect
    nginx: Expect


def same(expect: Expect) -> tuple[Expect, Expect]:
    return expect, expect


OK = Expect(200, closed=False, path="/anything")
REFUSED = Expect(400, closed=True)


def case(id: str, rfc: str, data: bytes, ours: Expect, ref: Expect | None = None) -> Case:
    return Case(id, rfc, data, ours, ours if ref is None else ref)


POST = b"POST /anything HTTP/1.1\r\n" + H
CHUNKED = POST + b"Transfer-Encoding: chunked\r\n"

CASES = [
    # -- RFC 9112 2-3: message and request line -------------------------------------------
    case("9112-2.2-bare-cr", "9112 2.2 MUST (reject or replace bare CR)",
         b"GET /anything HTTP/1.1\r\n" + H + b"X-A: a\rb\r\n\r\n", REFUSED),
    case("9112-2.2-bare-lf", "9112 2.2 MAY (accept a bare LF as line end)",
         b"GET /anything HTTP/1.1\n" + H.replace(b"\r\n", b"\n") + b"\n",
         REFUSED, OK),
    case("9112-2.2-ws-before-first-field", "9112 2.2 MUST (reject or skip the line)",
         b"GET /anything HTTP/1.1\r\n X-A: b\r\n" + H + b"\r\n", REFUSED),
    case("9112-2.2-leading-crlf", "9112 2.2 SHOULD (ignore an empty line before)",
         b"\r\nGET /anything HTTP/1.1\r\n" + H + b"\r\n", OK),
    case("9112-3-method-not-token", "9112 3 SHOULD (400 for an invalid request-line)",
         b"G(T /anything HTTP/1.1\r\n" + H + b"\r\n", REFUSED),
    case("9112-3-method-case", "9110 9.1 (methods are case-sensitive)",
         b"get /anything HTTP/1.1\r\n" + H + b"\r\n", Expect(501, closed=True), REFUSED),
    case("9110-9.1-unknown-method", "9110 9.1 SHOULD (501 for an unknown method)",
         b"FROB /anything HTTP/1.1\r\n" + H + b"\r\n",
         Expect(501, closed=True), Expect(400, closed=False)),  # nginx forwards it
    case("9110-9.1-unknown-method-pipelined", "9110 9.1 SHOULD (400 here: where it starts?)",
         b"GET /anything HTTP/1.1\r\n" + H + b"\r\nFROB /anything HTTP/1.1\r\n" + H + b"\r\n",
         Expect(200, closed=True, path="/anything", then=(400,)),
         Expect(200, closed=False, path="/anything", then=(400,))),
    case("9112-3-space-in-target", "9112 3 SHOULD (400 for an invalid request-line)",
         b"GET /any thing HTTP/1.1\r\n" + H + b"\r\n", REFUSED),
    case("9112-3-tab-separator", "9112 3 SHOULD (400 for an invalid request-line)",
         b"GET\t/anything HTTP/1.1\r\n" + H + b"\r\n", REFUSED),
    case("9112-3-double-space", "9112 3 MAY (parse on whitespace, lenient)",
         b"GET  /anything HTTP/1.1\r\n" + H + b"\r\n", OK),
    case("9112-3-target-too-long", "9112 3 MUST (414 for a target too long)",
         b"GET /" + b"a" * 40_000 + b" HTTP/1.1\r\n" + H + b"\r\n", Expect(414, closed=True)),
    case("9112-2.3-version-case", "9112 2.3 (HTTP-name is case-sensitive)",
         b"GET /anything http/1.1\r\n" + H + b"\r\n", REFUSED),
    case("9110-2.5-minor-version", "9110 2.5 SHOULD (HTTP/1.2 read as 1.1)",
         b"GET /anything HTTP/1.2\r\n" + H + b"\r\n", OK),
    case("9110-2.5-http2", "9110 15.6.6 MAY (505 for another major version)",
         b"GET /anything HTTP/2.0\r\n" + H + b"\r\n", Expect(505, closed=True)),
    case("9110-2.5-http3", "9110 15.6.6 MAY (505 for another major version)",
         b"GET /anything HTTP/3.0\r\n" + H + b"\r\n", Expect(505, closed=True)),
    case("9112-http1.0", "9112 9.3 (HTTP/1.0: no Host needed, closes)",
         b"GET /anything HTTP/1.0\r\n\r\n", Expect(200, closed=True, path="/anything")),
    case("9112-9.3-http1.0-keep-alive", "9112 9.3 MAY (keep an HTTP/1.0 connection)",
         b"GET /anything HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
         Expect(200, closed=True), Expect(200, closed=False)),
    # -- RFC 9112 3.2: Host and the request target ------------------------------------------
    case("9112-3.2-host-missing", "9112 3.2 MUST (400 without Host in 1.1)",
         b"GET /anything HTTP/1.1\r\n\r\n", REFUSED),
    case("9112-3.2-host-twice", "9112 3.2 MUST (400 for two Host lines)",
         b"GET /anything HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", REFUSED),
    case("9112-3.2-host-invalid", "9112 3.2 MUST (400 for an invalid Host)",
         b"GET /anything HTTP/1.1\r\nHost: a/b\r\n\r\n", REFUSED),
    case("9112-3.2-host-space", "9112 3.2 MUST (400 for an invalid Host)",
         b"GET /anything HTTP/1.1\r\nHost: a b\r\n\r\n", REFUSED),
    case("9112-3.2-host-empty", "9112 3.2 (an empty Host is valid syntax)",
         b"GET /anything HTTP/1.1\r\nHost:\r\n\r\n",
         Expect(200, closed=False, path="/anything"), REFUSED),
    case("9112-3.2.2-absolute-form", "9112 3.2.2 MUST (its host replaces Host)",
         b"GET http://other.test:8443/anything?q=1 HTTP/1.1\r\n" + H + b"\r\n",
         Expect(200, closed=False, path="/anything",
                forwarded={"x-forwarded-host": "other.test:8443"}),
         Expect(200, closed=False, path="/anything", forwarded={"host": "other.test"})),
    case("9112-3.2.1-absolute-empty-path", "9112 3.2.1 MUST (an empty path is sent as /)",
         b"GET http://other.test HTTP/1.1\r\n" + H + b"\r\n", Expect(200, closed=False, path="/")),
    case("9112-3.2.4-absolute-options", "9112 3.2.4 MUST (OPTIONS, empty path: sent as *)",
         b"OPTIONS http://other.test HTTP/1.1\r\n" + H + b"\r\n",
         Expect(200, closed=False, path="*"), Expect(200, closed=False, path="/")),
    case("9112-3.2.3-authority-form", "9112 3.2.3 (authority form only for CONNECT)",
         b"GET example.test:80 HTTP/1.1\r\n" + H + b"\r\n", REFUSED),
    case("9112-3.2.4-asterisk-options", "9112 3.2.4 (asterisk form for OPTIONS)",
         b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n", Expect(200, closed=False, path="*"),
         REFUSED),
    case("9112-3.2.4-asterisk-get", "9112 3.2.4 (asterisk form only for OPTIONS)",
         b"GET * HTTP/1.1\r\n" + H + b"\r\n", REFUSED),
    case("9110-9.3.6-connect", "9110 9.3.6 (CONNECT: not a tunnel here)",
         b"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n", REFUSED),
    # -- RFC 9112 5 / RFC 9110 5: fields --------------------------------------------------
    case("9112-5.1-space-before-colon", "9112 5.1 MUST (400)",
         b"GET /anything HTTP/1.1\r\n" + H + b"X-A : b\r\n\r\n", REFUSED),
    case("9112-5.1-space-before-colon-te", "9112 5.1 MUST (400), smuggling vector",
         CHUNKED.replace(b"Encoding:", b"Encoding :") + b"\r\n0\r\n\r\n" + SMUGGLED, REFUSED),
    case("9110-5.1-space-in-name", "9110 5.1 (a field name is a token)",
         b"GET /anything HTTP/1.1\r\n" + H + b"X A: b\r\n\r\n", REFUSED),
    case("9112-5.2-obs-fold", "9112 5.2 MUST (400, or replace with SP)",
         b"GET /anything HTTP/1.1\r\n" + H + b"X-A: b\r\n c\r\n\r\n", REFUSED),
    case("9110-5.5-nul-in-value", "9110 5.5 MUST (reject, or replace NUL with SP)",
         b"GET /anything HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", REFUSED),
    case("9110-5.4-field-too-long", "9110 5.4 MUST (a 4xx; 431 SHOULD)",
         b"GET /anything HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 40_000 + b"\r\n\r\n",
         Expect(431, closed=True), REFUSED),
    # -- RFC 9112 6: message body length --------------------------------------------------
    case("9112-6.1-cl-and-te", "9112 6.1 MUST (close after answering; 400 here)",
         POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
         REFUSED),
    case("9112-6.1-te-and-cl", "9112 6.1 MUST (close after answering; 400 here)",
         CHUNKED + b"Content-Length: 5\r\n\r\n0\r\n\r\n" + SMUGGLED, REFUSED),
    case("9112-6.1-te-http1.0", "9112 6.1 MUST (faulty framing, close)",
         b"POST /anything HTTP/1.0\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
         + SMUGGLED, REFUSED),
    case("9112-6.1-chunked-not-last", "9112 6.1 MUST (400 and close)",
         POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n" + SMUGGLED,
         REFUSED, Expect(501, closed=True)),
    case("9112-6.1-identity", "9112 6.1 MUST (400: chunked is not last)",
         POST + b"Transfer-Encoding: identity\r\n\r\n" + SMUGGLED,
         REFUSED, Expect(501, closed=True)),
    case("9112-6.1-unknown-coding", "9112 6.1 SHOULD (501 for an unknown coding)",
         POST + b"Transfer-Encoding: frob, chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
         Expect(501, closed=True)),
    case("9112-6.1-gzip-chunked", "9112 6.1 SHOULD (501: not re-framed here)",
         POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
         Expect(501, closed=True)),
    case("9112-6.1-chunked-twice", "9112 6.1 MUST NOT (chunked applied twice)",
         CHUNKED + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, REFUSED),
    case("9112-6.1-chunked-case", "9112 7 (coding names are case-insensitive)",
         POST + b"Transfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
         Expect(200, closed=False, body_bytes=5)),
    case("9112-6.3-cl-differ", "9112 6.3 MUST (400 and close)",
         POST + b"Content-Length: 5\r\nContent-Length: 41\r\n\r\nhello" + SMUGGLED, REFUSED),
    case("9110-8.6-cl-same-twice", "9110 8.6 MAY (reject, or use the one value)",
         POST + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", REFUSED),
    case("9110-8.6-cl-list", "9110 8.6 MAY (reject, or use the one value)",
         POST + b"Content-Length: 5, 5\r\n\r\nhello", REFUSED),
    case("9112-6.3-cl-not-digits", "9112 6.3 MUST (400 and close)",
         POST + b"Content-Length: abc\r\n\r\n" + SMUGGLED, REFUSED),
    case("9112-6.3-cl-negative", "9112 6.3 MUST (400 and close)",
         POST + b"Content-Length: -1\r\n\r\n" + SMUGGLED, REFUSED),
    case("9112-6.3-cl-signed", "9112 6.3 MUST (400 and close)",
         POST + b"Content-Length: +5\r\n\r\nhello" + SMUGGLED, REFUSED),
    case("9112-6.3-cl-empty", "9112 6.3 MUST (400 and close)",
         POST + b"Content-Length:\r\n\r\n" + SMUGGLED, REFUSED),
    case("9112-6.3-cl-overflow", "9112 6.3 MUST (400; no integer overflow)",
         POST + b"Content-Length: 99999999999999999999999\r\n\r\n" + SMUGGLED, REFUSED),
    case("9112-6.3-no-length", "9112 6.3 MUST (no CL/TE: the body is empty)",
         POST + b"\r\nGET /second HTTP/1.1\r\n" + H + b"\r\n",
         Expect(200, closed=False, path="/anything", body_bytes=0, then=(200,))),
    # -- RFC 9112 7: chunked --------------------------------------------------------------
    case("9112-7.1.1-chunk-extension", "9112 7.1.1 MUST (ignore unknown extensions)",
         CHUNKED + b"\r\n5;foo=bar\r\nhello\r\n0\r\n\r\n", Expect(200, closed=False, body_bytes=5)),
    case("9112-7.1.2-trailer", "9110 6.5.1 MUST NOT (merge a trailer into the headers)",
         CHUNKED + b"\r\n5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n",
         Expect(200, closed=False, body_bytes=5, forwarded={"x-trailer": None})),
    case("9112-7.1-chunk-size-invalid", "9112 7.1 (400 for a bad chunk size)",
         CHUNKED + b"\r\nzz\r\nhello\r\n0\r\n\r\n" + SMUGGLED, REFUSED),
    case("9112-7.1-chunk-size-overflow", "9112 7.1 MUST (no integer overflow)",
         CHUNKED + b"\r\n1000000000000000000000005\r\nhello\r\n0\r\n\r\n" + SMUGGLED, REFUSED),
    case("9112-7.1-chunk-without-crlf", "9112 7.1 (chunk data ends with CRLF)",
         CHUNKED + b"\r\n5\r\nhelloX0\r\n\r\n" + SMUGGLED, REFUSED),
    case("9112-7.1-chunk-bare-lf", "9112 2.2 MAY (bare LF in chunked framing)",
         CHUNKED + b"\r\n5\nhello\n0\n\nGET /second HTTP/1.1\r\n" + H + b"\r\n",
         REFUSED, Expect(200, closed=False, body_bytes=5, then=(200,))),
    # -- RFC 9112 9 / RFC 9110 7: connections and intermediaries ---------------------------
    case("9112-9.6-connection-close", "9112 9.6 MUST (close after the answer)",
         b"GET /anything HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n",
         Expect(200, closed=True, path="/anything")),
    case("9112-9.6-nothing-after-close", "9112 9.6 MUST NOT (process requests after close)",
         b"GET /anything HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n" + SMUGGLED,
         Expect(200, closed=True, path="/anything")),
    case("9112-9.3-pipelining", "9112 9.3.2 MUST (answers in request order)",
         b"GET /anything HTTP/1.1\r\n" + H + b"\r\nGET /second HTTP/1.1\r\n" + H + b"\r\n",
         Expect(200, closed=False, path="/anything", then=(200,))),
    case("9110-7.6.1-hop-by-hop", "9110 7.6.1 MUST (drop Connection and what it names)",
         b"GET /anything HTTP/1.1\r\n" + H + b"Connection: x-secret, keep-alive\r\n"
         b"X-Secret: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
         b"Proxy-Connection: keep-alive\r\nX-End: kept\r\n\r\n",
         Expect(200, closed=False, forwarded={
             "x-secret": None, "keep-alive": None, "te": None, "connection": None,
             "proxy-connection": None, "x-end": "kept"}),
         Expect(200, closed=False, forwarded={  # nginx drops only what it knows
             "x-secret": "1", "keep-alive": None, "te": None, "connection": None,
             "proxy-connection": "keep-alive", "x-end": "kept"})),
    case("9110-7.7-target-untouched", "9110 7.7 MUST NOT (rewrite path or query)",
         b"GET /a%252Fb/./c/../d?x=%41&y HTTP/1.1\r\n" + H + b"\r\n",
         Expect(200, closed=False, path="/a%2Fb/./c/../d", query="x=%41&y")),
    case("9110-7.6.3-via", "9110 7.6.3 MUST (a gateway adds Via)",
         b"GET /anything HTTP/1.1\r\n" + H + b"Via: 1.0 fred\r\n\r\n",
         Expect(200, closed=False, forwarded={"via": "1.0 fred|1.1 strangler"}),
         Expect(200, closed=False, forwarded={"via": "1.0 fred"})),
    case("9110-7.6.2-max-forwards-0", "9110 7.6.2 MUST NOT (forward OPTIONS at 0)",
         b"OPTIONS /anything HTTP/1.1\r\n" + H + b"Max-Forwards: 0\r\n\r\n",
         Expect(200, closed=False, headers={"allow": "GET, HEAD, POST, PUT, PATCH, DELETE, "
                                                     "OPTIONS, TRACE"}),
         Expect(200, closed=False, forwarded={"max-forwards": "0"})),
    case("9110-7.6.2-max-forwards-5", "9110 7.6.2 MUST (decrement on OPTIONS)",
         b"OPTIONS /anything HTTP/1.1\r\n" + H + b"Max-Forwards: 5\r\n\r\n",
         Expect(200, closed=False, forwarded={"max-forwards": "4"}),
         Expect(200, closed=False, forwarded={"max-forwards": "5"})),
    case("9110-9.3.8-trace", "9110 9.3.8 (TRACE is forwarded)",
         b"TRACE /anything HTTP/1.1\r\n" + H + b"\r\n",
         Expect(200, closed=False, path="/anything"), Expect(405, closed=True)),
    case("9110-9.3.8-trace-max-forwards-0", "9110 7.6.2 MUST (answer as final recipient)",
         b"TRACE /anything HTTP/1.1\r\n" + H + b"Cookie: secret\r\nMax-Forwards: 0\r\n\r\n",
         Expect(200, closed=False, headers={"content-type": "message/http"},
                body_starts=b"TRACE /anything HTTP/1.1\r\nhost: example.test\r\nmax-forwards: 0"),
         Expect(405, closed=True)),
    case("9110-10.1.1-expect-unknown", "9110 10.1.1 MAY (417 for an unknown expectation)",
         b"GET /anything HTTP/1.1\r\n" + H + b"Expect: frob\r\n\r\n",
         Expect(200, closed=False, forwarded={"expect": None})),
    case("9110-10.1.1-expect-http1.0", "9110 10.1.1 MUST (ignore 100-continue in 1.0)",
         b"POST /anything HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
         Expect(200, closed=True, body_bytes=5)),
    # -- answers ------------------------------------------------------------------------
    case("9110-9.3.2-head", "9110 9.3.2 MUST NOT (no content in a HEAD answer)",
         b"HEAD /anything HTTP/1.1\r\n" + H + b"\r\n",
         Expect(200, closed=False, headers={"content-length": ANY})),
    case("9112-6.1-no-chunked-to-http1.0", "9112 6.1 MUST NOT (TE in an answer to 1.0)",
         b"GET /big?size=70000 HTTP/1.0\r\n\r\n",
         Expect(200, closed=True, headers={"transfer-encoding": None})),
    case("9110-15.3.5-no-content", "9110 15.3.5 (a 204 ends at its head)",
         b"GET /status/204 HTTP/1.1\r\n" + H + b"\r\n", Expect(204, closed=False)),
    case("9110-15.4.5-not-modified", "9110 15.4.5 (a 304 ends at its head)",
         b"GET /status/304 HTTP/1.1\r\n" + H + b"\r\n", Expect(304, closed=False)),
]  # fmt: skip


@pytest.fixture(scope="module")
def reference(echo_monolith: Running, var_dir: Path) -> Iterator[Running]:
    """nginx as a reverse proxy in front of the same echoing upstream as ``edge``."""
    if NGINX is None:
        pytest.skip("nginx is not installed (make nginx, or apt-get install nginx)")
    with nginx(NGINX, echo_monolith, var_dir / "nginx") as proc:
        yield proc


def _method(data: bytes) -> str:
    return data.lstrip(b"\r\n").split(b" ", 1)[0].decode("latin-1")


def check(answers: list[Answer], closed: bool, expect: Expect, ours: bool) -> None:
    finals = [a for a in answers if a.status >= 200]
    assert finals, f"no answer: {answers!r}"
    first = finals[0]
    assert first.status == expect.status, (first.status, first.body[:300])
    assert [a.status for a in finals[1:]] == list(expect.then), [a.status for a in finals]
    assert len(answers) - len(finals) == expect.interim, [a.status for a in answers]
    if expect.closed is not None:
        assert closed == expect.closed
    for answer in finals:
        assert b'"/smuggled"' not in answer.body, "bytes after a refused request were served"
    for name, value in expect.headers.items():
        got = first.header(name)
        assert got is not None if value == ANY else got == value, (name, first.headers)
    if expect.body_starts is not None:
        assert first.body.startswith(expect.body_starts), first.body
    if ours and first.status >= 400:  # the proxy's own answer: the error envelope
        error = json.loads(first.body)["error"]
        assert error["status"] == expect.status and error["message"], error
    if expect.path is None and not expect.forwarded and expect.body_bytes is None:
        return
    seen = first.json()
    if expect.path is not None:
        assert seen["path"] == expect.path
    if expect.query is not None:
        assert seen["query"] == expect.query
    if expect.body_bytes is not None:
        assert seen["body_bytes"] == expect.body_bytes
    for name, value in expect.forwarded.items():
        assert seen["headers"].get(name) == value, (name, seen["headers"])


@pytest.mark.parametrize("row", CASES, ids=[c.id for c in CASES])
def test_the_engine(edge: Running, row: Case) -> None:
    answers, closed = send_raw(edge.port, row.data, method=_method(row.data))
    check(answers, closed, row.ours, ours=True)


@pytest.mark.parametrize("row", CASES, ids=[c.id for c in CASES])
def test_nginx_for_reference(reference: Running, row: Case) -> None:
    answers, closed = send_raw(reference.port, row.data, method=_method(row.data))
    check(answers, closed, row.nginx, ours=False)


@pytest.mark.parametrize("target", ["edge", "reference"])
def test_expect_100_continue_is_answered_before_the_body(
    target: str, request: pytest.FixtureRequest
) -> None:
    """RFC 9110 10.1.1: a server that receives ``Expect: 100-continue`` before the content
    MUST either send 100 (Continue) or a final answer; then the client sends the body."""
    port = request.getfixturevalue(target).port
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(POST + b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        interim = read_answer(sock, "POST")
        sock.sendall(b"hello")
        final = read_answer(sock, "POST")
    assert interim.status == 100
    assert final.status == 200 and final.json()["body_bytes"] == 5


@pytest.mark.parametrize("target", ["edge", "reference"])
def test_a_body_cut_short_is_never_answered_as_complete(
    target: str, request: pytest.FixtureRequest
) -> None:
    """RFC 9112 6.3: when the client closes before Content-Length octets came, the message
    is incomplete and the connection closes (no answer says the request went through)."""
    port = request.getfixturevalue(target).port
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(POST + b"Content-Length: 10\r\n\r\nabc")
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):  # until the server closes (a timeout fails)
            received += chunk
    assert not received.startswith(b"HTTP/1.1 2"), received[:200]
