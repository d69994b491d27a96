"""What to do with a service's attempt: relay its answer, let the monolith answer instead
(a fallback, with its reason), or answer with the proxy's own error.

The monolith answers instead when the decision allows a fallback and repeating the request
is safe: nothing reached the service (connection refused, not connected in time, no
instance available), or the request is safe to repeat (GET, HEAD, OPTIONS with no streamed
body) and the service timed out, broke the exchange or answered 5xx. A request that may have
reached the service is never sent a second time: its 5xx is relayed, a timeout answers 504
and a broken exchange 502.

The proxy's own error names the upstream whose attempt failed (the monolith, or the service
and the instance tried), and its ``served_by`` is what the answer's ``X-Strangler-Served-By``
says: that upstream, or ``proxy`` when no upstream was tried (no instance available).

>>> judge("GET", Attempt(failure=Failure.REFUSED), fallback=True).reason
'refused'
>>> catalog = Tried("catalog", "http://127.0.0.1:8101")
>>> failed = judge("POST", Attempt(failure=Failure.BROKEN, detail="peer closed", tried=catalog),
...                fallback=True)
>>> failed.message, failed.served_by
('upstream catalog at http://127.0.0.1:8101 failed: peer closed', 'catalog')
>>> judge("GET", Attempt(status=503), fallback=True, streamed=True).action
<Action.RELAY: 'relay'>
>>> unavailable("catalog", fallback=False).status
503
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from strangler_proxy.policy.answer import PROXY

#: Methods whose requests may be sent a second time (RFC 9110 9.2.2 idempotent and safe).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Failure(StrEnum):
    REFUSED = "refused"  # no connection: nothing reached the service
    CONNECT_TIMEOUT = "connect-timeout"  # not connected in time: nothing reached it either
    TIMEOUT = "timeout"  # connected, but no whole answer in time
    BROKEN = "broken"  # connected, then the exchange failed


class Tried(NamedTuple):
    """Who was tried: ``monolith`` or a service's name, and the instance's URL."""

    name: str
    url: str

    def __str__(self) -> str:
        return f"{self.name} at {self.url}"


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one request to an upstream went: its status, or how it failed."""

    status: int | None = None
    failure: Failure | None = None
    detail: str = ""  # the failure in the engine's words
    tried: Tried | None = None  # the upstream tried (named in the proxy's error)

    def __post_init__(self) -> None:
        if (self.status is None) == (self.failure is None):
            raise ValueError("an attempt has either a status or a failure")

    @property
    def reached(self) -> bool:
        """Whether the request may have reached the service."""
        return self.failure not in (Failure.REFUSED, Failure.CONNECT_TIMEOUT)


class Action(StrEnum):
    RELAY = "relay"  # the service's answer goes to the client
    FALLBACK = "fallback"  # the monolith answers instead; ``reason`` says why
    ERROR = "error"  # the proxy answers ``status``/``code`` with ``reason`` as the message


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    reason: str = ""  # why the monolith answers (fallback), or the error message
    status: int | None = None  # the proxy's own status (error)
    code: str | None = None  # the envelope's code (error)
    #: (error) the answer's X-Strangler-Served-By: the upstream whose failure it reports
    served_by: str = PROXY

    @property
    def message(self) -> str:
        return self.reason


RELAY = Verdict(Action.RELAY)

#: Fallback reasons (the metrics' and the ``X-Strangler-Fallback`` header's values) are
#: these, "5xx" and "circuit-open".
_REASONS = {
    Failure.REFUSED: "refused",
    Failure.CONNECT_TIMEOUT: "timeout",
    Failure.TIMEOUT: "timeout",
    Failure.BROKEN: "broken",
}


def repeatable(method: str, *, streamed: bool = False) -> bool:
    """Whether a request may be sent again: a safe method, and no body streamed on the way."""
    return not streamed and method in SAFE_METHODS


def judge(method: str, attempt: Attempt, *, fallback: bool, streamed: bool = False) -> Verdict:
    """``fallback``: the decision lets the monolith answer if the service fails;
    ``streamed``: the request's body was (being) sent while read, so it cannot go again."""
    may_fall_back = fallback and (repeatable(method, streamed=streamed) or not attempt.reached)
    if attempt.failure is None:
        assert attempt.status is not None
        if attempt.status >= 500 and may_fall_back:
            return Verdict(Action.FALLBACK, "5xx")
        return RELAY
    if may_fall_back:
        return Verdict(Action.FALLBACK, _REASONS[attempt.failure])
    tried = attempt.tried
    who, by = ("upstream", PROXY) if tried is None else (f"upstream {tried}", tried.name)
    if attempt.failure in (Failure.TIMEOUT, Failure.CONNECT_TIMEOUT):
        return Verdict(Action.ERROR, f"{who} timed out", 504, "upstream_timeout", by)
    if attempt.failure is Failure.REFUSED:
        return Verdict(Action.ERROR, f"{who} refused the connection", 502, "upstream_refused", by)
    detail = attempt.detail or "no answer"
    return Verdict(Action.ERROR, f"{who} failed: {detail}", 502, "upstream_failed", by)


def unavailable(service: str, *, fallback: bool) -> Verdict:
    """No instance of ``service`` can be tried (none registered, all down or ejected)."""
    if fallback:
        return Verdict(Action.FALLBACK, "circuit-open")
    return Verdict(Action.ERROR, f"no available instance of {service}", 503, "no_instance")


__all__ = ["RELAY", "SAFE_METHODS", "Action", "Attempt", "Failure",
           "Tried", "Verdict", "judge", "repeatable", "unavailable"]  # fmt: skip
