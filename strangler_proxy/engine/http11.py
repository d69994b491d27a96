"""Pure HTTP/1.1 rules for a request the engine receives as an intermediary (RFC 9110/9112):
the ones llhttp leaves to its user. No I/O; the front (``front.py``) applies them.

>>> max_forwards([(b"max-forwards", b"5")])
(5, [(b'max-forwards', b'4')])
>>> valid_host(b"shop.example:8080"), valid_host(b"a/b")
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

Headers = list[tuple[bytes, bytes]]
#: the scope key of an answer the front gives itself (Max-Forwards: 0) instead of the app
OWN_ANSWER = "strangler.own_answer"

#: RFC 9110 7.6.3: the pseudonym this hop adds to ``Via`` (no host names or ports)
VIA = {"1.1": (b"via", b"1.1 strangler"), "1.0": (b"via", b"1.0 strangler")}
#: what the proxy forwards, for an OPTIONS it answers as the final recipient
ALLOW = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE"
#: RFC 9110 9.3.8: fields a TRACE reflection leaves out (likely to hold secrets)
_SENSITIVE = frozenset({b"authorization", b"cookie", b"proxy-authorization"})
#: RFC 9110 7.2 / RFC 3986 3.2.2: uri-host [":" port]; IP-literal or reg-name
_HOST = re.compile(
    rb"(\[[0-9A-Fa-f:.]+\]"  # IPv6 (and IPv4-in-IPv6)
    rb"|\[v[0-9A-Fa-f]+\.[\w.~!$&'()*+,;=:-]+\]"  # IPvFuture
    rb"|[\w.~%!$&'()*+,;=-]*)"  # reg-name (and IPv4)
    rb"(:[0-9]*)?"
)


def via(version: str) -> tuple[bytes, bytes]:
    """The ``Via`` line this hop appends (a field line of its own: lines combine with ",").

    >>> via("1.0")
    (b'via', b'1.0 strangler')
    """
    return VIA.get(version, VIA["1.1"])


def valid_host(value: bytes) -> bool:
    """Whether a ``Host`` value is ``uri-host [":" port]`` (empty is valid: RFC 9112 3.2)."""
    return _HOST.fullmatch(value) is not None


def max_forwards(headers: Sequence[tuple[bytes, bytes]]) -> tuple[int | None, Headers]:
    """RFC 9110 7.6.2, for OPTIONS and TRACE: the received ``Max-Forwards`` (None without a
    valid one) and the headers to forward, with the value decremented when it is above 0."""
    out: Headers = []
    hops: int | None = None
    for name, value in headers:
        if name == b"max-forwards" and hops is None and value.strip().isdigit():
            hops = int(value)
            if hops > 0:
                value = str(hops - 1).encode("ascii")
        out.append((name, value))
    return hops, out


def final_recipient_answer(
    method: str, target: bytes, version: str, headers: Sequence[tuple[bytes, bytes]]
) -> tuple[int, Headers, bytes]:
    """The answer to an OPTIONS or TRACE whose ``Max-Forwards`` was 0 (the proxy is its
    final recipient): for OPTIONS what the proxy forwards; for TRACE the request as received
    (RFC 9110 9.3.8), without the fields likely to hold secrets.

    >>> final_recipient_answer("TRACE", b"/x", "1.1", [(b"host", b"a"), (b"cookie", b"s")])[2]
    b'TRACE /x HTTP/1.1\\r\\nhost: a\\r\\n\\r\\n'
    """
    if method == "TRACE":
        lines = [b"TRACE %s HTTP/%s" % (target, version.encode("ascii"))]
        lines += [n + b": " + v for n, v in headers if n not in _SENSITIVE]
        body = b"\r\n".join(lines) + b"\r\n\r\n"
        return 200, _framing(body, b"message/http"), body
    return 200, [(b"allow", ALLOW), (b"content-length", b"0")], b""


async def send_own_answer(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """An ASGI app sending the answer ``final_recipient_answer`` put in the scope."""
    status, headers, body = scope[OWN_ANSWER]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _framing(body: bytes, content_type: bytes) -> Headers:
    return [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]


__all__ = [
    "ALLOW",
    "OWN_ANSWER",
    "VIA",
    "final_recipient_answer",
    "max_forwards",
    "send_own_answer",
    "valid_host",
    "via",
]
