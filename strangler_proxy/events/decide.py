"""What the deliverer does with each message of a batch (pure: the consumer does the I/O).

The inbox answered: ack what it holds (``applied``, ``duplicate``, ``stale``, ``ignored``),
dead-letter a ``rejected`` one at once with its reason (it will never apply), then ``term``
it so JetStream never offers it again:

>>> from strangler_proxy.events.envelope import Outcome, Result
>>> after_results([Result("a", Outcome.APPLIED), Result("b", Outcome.REJECTED, "bad price")])
[Ack(), DeadLetter(reason='rejected by the subscriber: bad price')]

The delivery failed (no answer, an error, a malformed answer): each message is retried
later (``nak`` with a backoff that doubles), until its delivery count reaches
``max_deliver``; then it is dead, with the last reason:

>>> policy = Retry(max_deliver=5, first_delay=0.5, max_delay=30)
>>> after_failure("answered 503", delivered=1, policy=policy)
Nak(delay=0.5)
>>> after_failure("answered 503", delivered=4, policy=policy)
Nak(delay=4.0)
>>> after_failure("answered 503", delivered=5, policy=policy)
DeadLetter(reason='answered 503 (delivery 5 of 5)')

Except when no event is at fault (``blameless``): the subscriber is down (no connection:
it is being restarted, say) or refused the deliverer itself (401/403: a wrong events
token). That is the deployment's fault, not the event's, so no event becomes a dead letter
for it; the batch keeps backing off until the subscriber is back or the token is fixed:

>>> after_failure("did not answer", delivered=9, policy=policy, blameless=True)
Nak(delay=30.0)
>>> after_failure("did not answer", delivered=2, policy=policy, blameless=True)
Nak(delay=1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from strangler_proxy.events.envelope import Result

DEFAULT_MAX_DELIVER = 5


@dataclass(frozen=True, slots=True)
class Retry:
    max_deliver: int = DEFAULT_MAX_DELIVER  # deliveries of one message before it is dead
    first_delay: float = 0.5  # seconds before the second delivery
    max_delay: float = 30.0  # the backoff's ceiling

    def __post_init__(self) -> None:
        if self.max_deliver < 1:
            raise ValueError(f"max_deliver must be at least 1, not {self.max_deliver}")
        if not 0 <= self.first_delay <= self.max_delay:
            raise ValueError("retry delays must be 0 <= first_delay <= max_delay")

    def delay(self, delivered: int) -> float:
        """Seconds to wait after the ``delivered``-th failed delivery.

        >>> [Retry(first_delay=1, max_delay=5).delay(n) for n in range(1, 6)]
        [1.0, 2.0, 4.0, 5.0, 5.0]
        """
        return float(min(self.max_delay, self.first_delay * 2 ** max(0, delivered - 1)))


@dataclass(frozen=True, slots=True)
class Ack:
    pass


@dataclass(frozen=True, slots=True)
class Nak:
    delay: float


@dataclass(frozen=True, slots=True)
class DeadLetter:
    reason: str


Action = Ack | Nak | DeadLetter


def after_results(results: Sequence[Result]) -> list[Action]:
    """The action for each event the inbox answered about (same order)."""
    return [
        Ack() if r.outcome.acked else DeadLetter(f"rejected by the subscriber: {r.reason}")
        for r in results
    ]


def after_failure(reason: str, *, delivered: int, policy: Retry, blameless: bool = False) -> Action:
    """The action for a message whose ``delivered``-th delivery failed with ``reason``
    (``blameless``: the subscriber is down or turned the deliverer away, no event's fault)."""
    if blameless:
        return Nak(policy.delay(delivered))
    if delivered >= policy.max_deliver:
        return DeadLetter(f"{reason} (delivery {delivered} of {policy.max_deliver})")
    return Nak(policy.delay(delivered))


def not_an_event(problem: str) -> DeadLetter:
    """A message that is no event at all (it could never apply): dead at once.

    >>> not_an_event("version: missing")
    DeadLetter(reason='not an event: version: missing')
    """
    return DeadLetter(f"not an event: {problem}")
