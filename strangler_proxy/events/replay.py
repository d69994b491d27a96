"""Deliver one dead letter again (``strangler events replay ID``) and record the outcome.

Sent to the inbox URL it died at (or another, ``to_url``), alone, with the events token.
The subscriber took it (``applied``, ``duplicate``, ``stale``, ``ignored``): the letter is
marked replayed. It failed again (no answer, an error, ``rejected``): the letter stays
pending with the new reason and one more attempt, and ``ReplayFailed`` says why.
"""

from __future__ import annotations

from strangler_proxy.events.deadletters import DeadLetter, DeadLetterStore
from strangler_proxy.events.envelope import Event, InvalidEvent, Outcome
from strangler_proxy.events.push import DeliveryFailed, Inbox
from strangler_proxy.events.subscriber import Subscriber


class ReplayFailed(RuntimeError):
    """The letter was not taken; the message names it and why."""


def replay(
    store: DeadLetterStore, letter_id: int, token: str, to_url: str | None = None
) -> tuple[DeadLetter, Outcome]:
    """The letter, once replayed, and the subscriber's outcome (UnknownDeadLetter for an
    id not in ``store``)."""
    letter = store.get(letter_id)
    name = f"dead letter {letter_id}"
    try:
        event = Event.from_json(letter.event)
    except InvalidEvent as exc:
        raise ReplayFailed(f"{name} is not an event ({exc}): nothing to replay") from exc
    url = to_url or letter.url
    if not url:
        raise ReplayFailed(f"{name} has no inbox URL recorded: name one with --to URL")
    with Inbox(Subscriber(letter.subscriber, url), token) as inbox:
        try:
            (result,) = inbox.push_sync([event])
        except DeliveryFailed as exc:
            store.mark_failed_replay(letter_id, exc.reason)
            raise ReplayFailed(f"{name} not delivered: {exc.reason}") from exc
    if not result.outcome.acked:
        reason = f"rejected by the subscriber: {result.reason}"
        store.mark_failed_replay(letter_id, reason)
        raise ReplayFailed(f"{name} still {reason}")
    return store.mark_replayed(letter_id, result.outcome.value), result.outcome
