"""What the monolith's exchange answered, read without I/O: a token to cache (``Grant``,
fresh until ``MARGIN`` seconds before it expires), the client's credential refused
(``Refusal``: its answer goes to the client), or an answer that is neither (``BadAnswer``).

The exchange answers ``{"access", "expires_in", "token_type": "Bearer"}`` (DESIGN §6).
``expires_in`` is the token's ``exp - iat``: counted on the proxy's own monotonic clock from
the moment the answer arrived, "30 s before ``exp``" needs no agreement between the proxy's
and the monolith's wall clocks.

>>> answer = b'{"access": "h.p.s", "expires_in": 300, "token_type": "Bearer"}'
>>> read_answer(200, [], answer, now=1000.0)
Grant(token='h.p.s', fresh_until=1270.0)
>>> read_answer(200, [], b'{"access": "h.p.s", "expires_in": 20}', now=1000.0).fresh_until
1000.0
>>> refused = read_answer(401, [(b"WWW-Authenticate", b"Token"), (b"Server", b"x")],
...                       b'{"error": {"status": 401, "code": "authentication_failed"}}', now=0)
>>> refused.status, refused.headers
(401, [(b'www-authenticate', b'Token')])
>>> read_answer(404, [], b"<html>", now=0)
Traceback (most recent call last):
...
strangler_proxy.identity.answer.BadAnswer: it answered HTTP 404, not a token
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from strangler_proxy.envelope import error_body
from strangler_proxy.identity.credential import Headers

#: a token is used until this many seconds before it expires, then exchanged again
MARGIN = 30.0
#: what the client gets of the exchange's refusal besides its body
_KEPT = frozenset({b"www-authenticate"})


class BadAnswer(ValueError):
    """The exchange answered neither a token nor a refusal (the message says what it did)."""


@dataclass(frozen=True, slots=True)
class Grant:
    token: str
    fresh_until: float  # on the clock the answer's ``now`` was read from


@dataclass(frozen=True, slots=True)
class Refusal:
    """The monolith refused the client's credential (401): its envelope, for the client."""

    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    def as_text(self) -> tuple[tuple[str, str], ...]:
        """The headers the client gets with it, as text (a shadow comparison's answer: what
        the service's route answers a client whose credential the monolith refuses).

        >>> Refusal(401, b"{}", [(b"www-authenticate", b"Token")]).as_text()
        (('content-type', 'application/json'), ('www-authenticate', 'Token'))
        """
        kept = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in self.headers]
        return (("content-type", "application/json"), *kept)


def read_answer(
    status: int, headers: Headers, body: bytes, *, now: float, margin: float = MARGIN
) -> Grant | Refusal:
    """The exchange's answer; ``BadAnswer`` when it is neither a token nor a 401."""
    if status == 401:
        kept = [(name.lower(), value) for name, value in headers if name.lower() in _KEPT]
        if not _is_envelope(body):  # not the monolith's own: the client still gets the one
            body = error_body(401, "the identity exchange refused the credential")
        return Refusal(401, body, kept)
    if status != 200:
        raise BadAnswer(f"it answered HTTP {status}, not a token")
    try:
        doc = json.loads(body)
        token, lifetime = doc["access"], doc["expires_in"]
    except (ValueError, TypeError, KeyError) as exc:
        raise BadAnswer(f"its answer has no access and expires_in: {body[:100]!r}") from exc
    if not isinstance(token, str) or not token.isascii() or not token:
        raise BadAnswer("its access is not a token")
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
        raise BadAnswer(f"its expires_in is not a positive number: {lifetime!r}")
    return Grant(token, now + max(0.0, lifetime - margin))


def _is_envelope(body: bytes) -> bool:
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and isinstance(doc.get("error"), dict)


__all__ = ["MARGIN", "BadAnswer", "Grant", "Refusal", "read_answer"]
