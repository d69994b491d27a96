"""Which credential a request carries, its cache key, and the headers a service gets: the
pure half of the phantom-token exchange (no I/O; the adapter is ``tokens.py``).

A credential is what the monolith authenticates a client by: the ``Authorization`` header
(DRF's ``Token x``, a ``Bearer x`` the monolith issued, or any other scheme: the proxy never
reads it, the monolith's exchange says whether it is good), else Django's ``sessionid``
cookie, as the routing core's ``client_key`` reads them. Header names in any case.

>>> credential_of([(b"Authorization", b"Token 9944b09199c62bcf")]).kind
'token'
>>> credential_of([(b"authorization", b"Bearer eyJhbGciOi.x.y")]).kind
'bearer'
>>> session = credential_of([(b"cookie", b"csrftoken=a; sessionid=k2x9"), (b"accept", b"*/*")])
>>> session.kind, session.header
('session', (b'cookie', b'sessionid=k2x9'))
>>> credential_of([(b"cookie", b"strangler_client=c1")]) is None  # no credential: anonymous
True

The cache key is the credential's sha256 with the audience, so a token is never kept
verbatim and one credential has one key per service:

>>> key = session.key("catalog")
>>> key == credential_of([(b"cookie", b"sessionid=k2x9")]).key("catalog"), key[1]
(True, 'catalog')
>>> key == session.key("notifications")
False

What the service gets: the client's ``Authorization`` and ``Cookie`` stripped, the JWT as
``Authorization: Bearer``, everything else as it came:

>>> rewrite([(b"host", b"shop"), (b"cookie", b"sessionid=k2x9"), (b"accept", b"*/*")], "J.W.T")
[(b'host', b'shop'), (b'accept', b'*/*'), (b'authorization', b'Bearer J.W.T')]
>>> rewrite([(b"Authorization", b"Token 9944"), (b"accept", b"*/*")], None)  # anonymous
[(b'accept', b'*/*')]
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from strangler_proxy.routing.canary import SESSION_COOKIES

#: headers as both engines hold them: (name, value) bytes pairs
Headers = Sequence[tuple[bytes, bytes]]
#: a cache key: sha256 of the credential, and the audience (the service)
CacheKey = tuple[bytes, str]
_STRIPPED = frozenset({b"authorization", b"cookie"})


@dataclass(frozen=True, slots=True)
class Credential:
    """A client's credential: its ``kind`` (``token``, ``bearer``, another scheme's name, or
    ``session``) and the one header the exchange is sent to present it."""

    kind: str
    header: tuple[bytes, bytes]

    def key(self, audience: str) -> CacheKey:
        return hashlib.sha256(b"\0".join(self.header)).digest(), audience

    @property
    def is_session(self) -> bool:
        """A session cookie: one the monolith does not know makes the client anonymous
        (Django ignores it), while a refused ``Authorization`` is a 401 (DRF refuses it)."""
        return self.kind == "session"


def credential_of(headers: Headers) -> Credential | None:
    """The request's credential: ``Authorization`` first (as DRF tries the token before
    the session), else the ``sessionid`` cookie (any ``Cookie`` line); None: anonymous."""
    cookies: list[bytes] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"authorization" and value.strip():
            scheme = value.strip().split(b" ", 1)[0].decode("latin-1").lower()
            return Credential(scheme or "authorization", (b"authorization", value.strip()))
        if lowered == b"cookie":
            cookies.append(value)
    for line in cookies:
        for pair in line.split(b";"):
            name, sep, value = pair.partition(b"=")
            if sep and name.strip().decode("latin-1") in SESSION_COOKIES and value.strip():
                cookie = name.strip() + b"=" + value.strip().strip(b'"')
                return Credential("session", (b"cookie", cookie))
    return None


def rewrite(headers: Headers, token: str | None) -> list[tuple[bytes, bytes]]:
    """``headers`` without ``Authorization`` and ``Cookie``, with ``Authorization: Bearer
    <token>`` when there is one (None: forwarded anonymous)."""
    out = [(name, value) for name, value in headers if name.lower() not in _STRIPPED]
    if token is not None:
        out.append((b"authorization", b"Bearer " + token.encode("ascii")))
    return out


__all__ = ["CacheKey", "Credential", "Headers", "credential_of", "rewrite"]
