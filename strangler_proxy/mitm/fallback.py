"""What the mitmproxy engine does with a service's attempt: the production engine's fallback
rules (``strangler_proxy/engine/app.py``), without mitmproxy.

The monolith answers instead when the decision allows a fallback and repeating the request
is safe: nothing reached the service (connection refused, or not connected in time), or
the method is safe to repeat (GET, HEAD, OPTIONS) and the service timed out, broke the
exchange or answered 5xx. Otherwise a request that reached the service is never sent a
second time: its 5xx is relayed, a timeout answers 504 and a broken exchange 502.

>>> judge("GET", Attempt(failure=Failure.REFUSED), fallback=True)
Verdict(action=<Action.FALLBACK: 'fallback'>, reason='refused', status=None)
>>> judge("POST", Attempt(failure=Failure.BROKEN, detail="peer closed"), fallback=True)
Verdict(action=<Action.ERROR: 'error'>, reason='upstream failed: peer closed', status=502)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Failure(StrEnum):
    REFUSED = "refused"  # no connection: nothing reached the service
    CONNECT_TIMEOUT = "connect-timeout"  # not connected in time: nothing reached it either
    TIMEOUT = "timeout"  # connected, but no whole answer in time
    BROKEN = "broken"  # connected, then the exchange failed


@dataclass(frozen=True)
class Attempt:
    """How one request to a service went: its status, or how it failed."""

    status: int | None = None
    failure: Failure | None = None
    detail: str = ""  # the failure as mitmproxy put it

    def __post_init__(self) -> None:
        if (self.status is None) == (self.failure is None):
            raise ValueError("an attempt has either a status or a failure")

    @property
    def reached(self) -> bool:
        """Whether the request may have reached the service."""
        return self.failure not in (Failure.REFUSED, Failure.CONNECT_TIMEOUT)


class Action(StrEnum):
    RELAY = "relay"  # the service's answer goes to the client
    FALLBACK = "fallback"  # the monolith answers instead
    ERROR = "error"  # the proxy answers ``status`` with the message in ``reason``


@dataclass(frozen=True)
class Verdict:
    action: Action
    reason: str = ""  # why the monolith answers (fallback), or the error message
    status: int | None = None  # the proxy's own status (error)


RELAY = Verdict(Action.RELAY)


def judge(method: str, attempt: Attempt, *, fallback: bool) -> Verdict:
    """``fallback``: the routing decision lets the monolith answer if the service fails."""
    repeatable = method.upper() in SAFE_METHODS
    may_fall_back = fallback and (repeatable or not attempt.reached)
    if attempt.failure is None:
        assert attempt.status is not None
        if attempt.status >= 500 and may_fall_back:
            return Verdict(Action.FALLBACK, "5xx")
        return RELAY
    if may_fall_back:
        return Verdict(Action.FALLBACK, _REASONS[attempt.failure])
    if attempt.failure in (Failure.TIMEOUT, Failure.CONNECT_TIMEOUT):
        return Verdict(Action.ERROR, "upstream timed out", 504)
    if attempt.failure is Failure.REFUSED:
        return Verdict(Action.ERROR, "upstream refused the connection", 502)
    return Verdict(Action.ERROR, f"upstream failed: {attempt.detail or 'no answer'}", 502)


#: The production engine's fallback reasons (its metrics' labels).
_REASONS = {
    Failure.REFUSED: "refused",
    Failure.CONNECT_TIMEOUT: "timeout",
    Failure.TIMEOUT: "timeout",
    Failure.BROKEN: "broken",
}
