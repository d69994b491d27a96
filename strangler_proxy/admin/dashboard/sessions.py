"""Browser sessions of the dashboard: in memory, HMAC-signed ids, a CSRF token each.

A session is made by logging in with an admin token and is worth what that token is worth;
its cookie value is ``<id>.<signature>``, so a forged or tampered cookie is turned away
before any lookup, and an expired or logged-out one is anonymous. Sessions live in this
process only: a restarted proxy asks browsers to log in again (12 h at most anyway).

>>> now = [1000.0]
>>> sessions = Sessions(secret=b"k" * 32, clock=lambda: now[0])
>>> cookie, session = sessions.start("alice")
>>> sessions.find(cookie).name
'alice'
>>> sessions.find(cookie.split(".")[0] + ".forged") is None
True
>>> sessions.find("garbage") is None
True
>>> now[0] += TTL_SECONDS + 1
>>> sessions.find(cookie) is None   # expired: anonymous
True
>>> cookie, _ = sessions.start("bob")
>>> sessions.end(cookie)
>>> sessions.find(cookie) is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "strangler_session"
TTL_SECONDS = 12 * 3600
MAX_SESSIONS = 1000  # logins need a valid token; this only bounds memory


@dataclass(frozen=True, slots=True)
class Session:
    name: str  # the admin token's name it was opened with
    csrf: str  # what X-CSRF-Token must carry for an unsafe method
    expires: float  # on ``clock``

    @property
    def actor(self) -> str:
        """Who the audit log says flipped a route from the dashboard."""
        return f"dashboard:{self.name}"


class Sessions:
    def __init__(
        self, secret: bytes | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self._clock = clock
        self._by_id: dict[str, Session] = {}

    def start(self, name: str) -> tuple[str, Session]:
        """A new session for the token ``name``: (cookie value, session)."""
        now = self._clock()
        self._expire(now)
        while len(self._by_id) >= MAX_SESSIONS:  # oldest first (dicts keep insertion order)
            del self._by_id[next(iter(self._by_id))]
        ident = secrets.token_urlsafe(24)
        session = Session(name, secrets.token_urlsafe(24), now + TTL_SECONDS)
        self._by_id[ident] = session
        return f"{ident}.{self._sign(ident)}", session

    def find(self, cookie: str | None) -> Session | None:
        """The live session of a cookie value; None for a missing, forged or expired one."""
        ident, _, signature = (cookie or "").partition(".")
        if not ident or not hmac.compare_digest(signature.encode(), self._sign(ident).encode()):
            return None
        session = self._by_id.get(ident)
        if session is None:
            return None
        if session.expires <= self._clock():
            del self._by_id[ident]
            return None
        return session

    def end(self, cookie: str | None) -> None:
        if self.find(cookie) is not None:
            del self._by_id[(cookie or "").partition(".")[0]]

    def _sign(self, ident: str) -> str:
        return hmac.new(self._secret, ident.encode(), hashlib.sha256).hexdigest()

    def _expire(self, now: float) -> None:
        for ident in [i for i, s in self._by_id.items() if s.expires <= now]:
            del self._by_id[ident]


def cookie_of(cookie_header: str | None) -> str | None:
    """The session cookie's value in a ``Cookie`` header.

    >>> cookie_of("a=1; strangler_session=abc.def; b=2")
    'abc.def'
    >>> cookie_of(None) is None
    True
    """
    for part in (cookie_header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def set_cookie(value: str, max_age: int = TTL_SECONDS) -> tuple[bytes, bytes]:
    """The ``Set-Cookie`` header (HttpOnly: no script reads it; Strict: no other site sends it).

    >>> set_cookie("", 0)[1]
    b'strangler_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0'
    """
    text = f"{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    return b"set-cookie", text.encode()
