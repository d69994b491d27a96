"""Who is asking the admin app: a bearer token (the CLI, scripts) or a dashboard session.

A session cookie is sent by the browser on its own, so a request it authenticates may only
change something when it also proves it comes from the dashboard's page: the session's CSRF
token in ``X-CSRF-Token`` (a page of another site cannot read it) and an ``Origin`` equal to
the admin's own (a browser always sends it on such requests and a page cannot forge it).

>>> from strangler_proxy.admin.auth import AdminTokens
>>> from strangler_proxy.admin.dashboard.sessions import Sessions
>>> tokens, sessions = AdminTokens.parse("ops:0123456789abcdef"), Sessions()
>>> cookie, session = sessions.start("ops")
>>> caller = identify(tokens, sessions, {"cookie": f"strangler_session={cookie}"})
>>> caller.actor
'dashboard:ops'
>>> headers = {"host": "127.0.0.1:8081", "origin": "http://127.0.0.1:8081"}
>>> csrf_refusal(caller, "PATCH", headers, "http")
'missing or wrong X-CSRF-Token (reload the dashboard)'
>>> csrf_refusal(caller, "PATCH", {**headers, "x-csrf-token": session.csrf}, "http") is None
True
>>> csrf_refusal(caller, "PATCH", {**headers, "x-csrf-token": session.csrf,
...                                "origin": "http://evil.example"}, "http")
"cross-origin request refused: Origin 'http://evil.example' is not the admin's own"
>>> identify(tokens, sessions, {"authorization": "Bearer 0123456789abcdef"}).actor
'ops'
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from strangler_proxy.admin.auth import AdminTokens
from strangler_proxy.admin.dashboard.sessions import Session, Sessions, cookie_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    name: str  # the admin token's name
    session: Session | None = None  # set when a dashboard session cookie authenticated it

    @property
    def actor(self) -> str:
        return self.session.actor if self.session is not None else self.name


def identify(tokens: AdminTokens, sessions: Sessions, headers: Mapping[str, str]) -> Caller | None:
    """The bearer token's name, else the session's; None for anyone else."""
    name = tokens.who(headers.get("authorization"))
    if name is not None:
        return Caller(name)
    session = sessions.find(cookie_of(headers.get("cookie")))
    # a session outlives no token: one whose token was removed is anonymous
    if session is not None and session.name in tokens.by_name:
        return Caller(session.name, session)
    return None


def own_origin(headers: Mapping[str, str], scheme: str) -> str:
    return f"{scheme}://{headers.get('host', '')}"


def origin_refusal(headers: Mapping[str, str], scheme: str) -> str | None:
    origin = headers.get("origin")
    if origin != own_origin(headers, scheme):
        return f"cross-origin request refused: Origin {origin!r} is not the admin's own"
    return None


def csrf_refusal(
    caller: Caller, method: str, headers: Mapping[str, str], scheme: str
) -> str | None:
    """Why a cookie-authenticated unsafe request is refused (None: it may go on)."""
    if caller.session is None or method in SAFE_METHODS:
        return None
    presented = headers.get("x-csrf-token", "").encode()
    if not hmac.compare_digest(presented, caller.session.csrf.encode()):
        return "missing or wrong X-CSRF-Token (reload the dashboard)"
    return origin_refusal(headers, scheme)
