"""Header rules on the wire: pure functions of header lists, no I/O.

Headers are ASGI-style ``list[tuple[bytes, bytes]]`` with lower-case names.

>>> out = request_headers([(b"host", b"shop"), (b"connection", b"x-a"), (b"x-a", b"1")],
...                       client_ip="10.0.0.1", scheme="http", request_id=b"r1")
>>> dict(out)[b"x-forwarded-for"]
b'10.0.0.1'
>>> b"x-a" in dict(out)
False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from strangler_proxy.policy import INTERNAL_PREFIX
from strangler_proxy.policy.answer import REQUEST_ID_OK

Headers = list[tuple[bytes, bytes]]

#: RFC 9110 7.6.1 hop-by-hop headers (plus the legacy ones every proxy strips).
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
#: Request headers the proxy never forwards: framing is re-done per hop, 100-continue is
#: answered by the server side, and X-Forwarded-* are rebuilt from what this hop saw.
_REQUEST_DROP = HOP_BY_HOP | {b"content-length", b"expect", b"x-request-id"}
_REQUEST_DROP_UNTRUSTED = _REQUEST_DROP | {b"x-forwarded-proto", b"x-forwarded-host"}
_INTERNAL_PREFIX = INTERNAL_PREFIX.encode("ascii")


def connection_tokens(headers: Sequence[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """Header names listed in ``Connection`` (they are hop-by-hop for this message)."""
    tokens: set[bytes] = set()
    for name, value in headers:
        if name == b"connection":
            for token in value.split(b","):
                token = token.strip().lower()
                if token:
                    tokens.add(token)
    return frozenset(tokens)


def request_id(headers: Iterable[tuple[bytes, bytes]], generate: bytes) -> bytes:
    """The incoming ``X-Request-ID`` when it is well-formed, else ``generate``."""
    for name, value in headers:
        if name == b"x-request-id" and REQUEST_ID_OK.fullmatch(value):
            return value
    return generate


def request_headers(
    headers: Sequence[tuple[bytes, bytes]],
    *,
    client_ip: str | None,
    scheme: str,
    request_id: bytes,
    trusted_hops: int = 0,
) -> Headers:
    """Headers to send upstream (without framing headers: the client adds its own).

    Strips hop-by-hop headers and those named in ``Connection``, ``X-Strangler-*``,
    ``Content-Length``/``Transfer-Encoding`` (re-framed per hop) and ``Expect``. Appends the
    client to ``X-Forwarded-For``; with zero trusted hops the incoming ``X-Forwarded-Proto``
    and ``-Host`` are the client's word and are replaced by what this hop saw.
    ``traceparent``/``tracestate`` and everything end-to-end pass through untouched.
    """
    drop = _REQUEST_DROP_UNTRUSTED if trusted_hops == 0 else _REQUEST_DROP
    tokens = connection_tokens(headers)
    if tokens:
        drop = drop | tokens
    out: Headers = []
    forwarded_for = b""
    host = b""
    for name, value in headers:
        if name in drop or name.startswith(_INTERNAL_PREFIX):
            continue
        if name == b"x-forwarded-for":
            forwarded_for = value if not forwarded_for else forwarded_for + b", " + value
            continue
        if name == b"host":
            host = value
        out.append((name, value))
    client = (client_ip or "unknown").encode("ascii", "replace")
    out.append((b"x-forwarded-for", forwarded_for + b", " + client if forwarded_for else client))
    if trusted_hops == 0:
        out.append((b"x-forwarded-proto", scheme.encode("ascii")))
        if host:
            out.append((b"x-forwarded-host", host))
    out.append((b"x-request-id", request_id))
    return out


def response_headers(headers: Sequence[tuple[bytes, bytes]], request_id: bytes) -> Headers:
    """Upstream response headers for the client: hop-by-hop stripped, ``X-Request-ID`` added.

    ``Content-Length`` stays (the server side keeps the framing); ``Content-Encoding`` and the
    body pass byte-for-byte.
    """
    out: Headers = []
    has_id = False
    named: set[bytes] | None = None  # names ``Connection`` lists besides the hop-by-hop ones
    for header in headers:  # one pass: an answer's Connection rarely names anything else
        name = header[0]
        if name in HOP_BY_HOP:
            if name == b"connection":
                for token in header[1].split(b","):
                    token = token.strip().lower()
                    if token and token not in HOP_BY_HOP:
                        named = {token} if named is None else named | {token}
            continue
        out.append(header)
        if name == b"x-request-id":
            has_id = True
    if named:
        out = [header for header in out if header[0] not in named]
        has_id = any(name == b"x-request-id" for name, _ in out)
    if not has_id:
        out.append((b"x-request-id", request_id))
    return out


def client_address(
    peer: str | None, headers: Iterable[tuple[bytes, bytes]], trusted_hops: int
) -> str | None:
    """The client's address: the peer, or with N trusted proxies in front, the N-th entry
    from the right of ``X-Forwarded-For`` (never further left than the list reaches)."""
    if trusted_hops <= 0:
        return peer
    chain: list[str] = []
    for name, value in headers:
        if name == b"x-forwarded-for":
            chain.extend(p.strip() for p in value.decode("latin-1").split(",") if p.strip())
    if len(chain) >= trusted_hops:
        return chain[-trusted_hops]
    return chain[0] if chain else peer
