"""Push a batch of events to a subscriber's inbox endpoint (DESIGN §5), over httpx.

One ``Inbox`` per subscriber, async (the JetStream deliverer) or sync (``push_sync``: the
embedded relay, ``strangler events replay``). Every way a delivery can fail (refused
connection, timeout, a non-200 answer, an answer that is not the batch's results) becomes
one ``DeliveryFailed(reason)``: the deliverer retries the whole batch, and after
``max_deliver`` attempts keeps ``reason`` in the dead letter.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

import httpx

from strangler_proxy.envelope import error_message
from strangler_proxy.events.envelope import (
    Event,
    MalformedAnswer,
    Result,
    batch_body,
    parse_results,
)
from strangler_proxy.events.subscriber import Subscriber

#: Seconds for the whole exchange (the inbox applies the batch before answering).
DEFAULT_TIMEOUT = 10.0


class DeliveryFailed(RuntimeError):
    """The batch was not delivered; ``reason`` says why, naming the subscriber and URL;
    ``status`` is the inbox's HTTP status when it answered."""

    def __init__(self, reason: str, status: int | None = None, *, away: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        #: no connection to the inbox (refused, dropped): the subscriber is down
        self.away = away

    @property
    def refused(self) -> bool:
        """The inbox turned the deliverer away (401, 403: the events token is wrong)."""
        return self.status in (401, 403)

    @property
    def blameless(self) -> bool:
        """No event is at fault: the subscriber is down or refuses the deliverer itself.
        Its events wait (backing off) rather than becoming dead letters."""
        return self.away or self.refused


def _away(exc: httpx.HTTPError) -> bool:
    """The connection failed or dropped (the subscriber is down, restarting): not a timeout
    of an inbox that took the batch and never answered (an event may be what hangs it)."""
    return isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError)  # connect included


class Inbox:
    """A subscriber's inbox endpoint, called with its bearer events token."""

    def __init__(
        self, subscriber: Subscriber, token: str, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.subscriber = subscriber
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        }
        self._timeout = httpx.Timeout(timeout)
        self._async: httpx.AsyncClient | None = None
        self._sync: httpx.Client | None = None

    async def push(self, events: Sequence[Event]) -> list[Result]:
        """Deliver ``events`` (in order) and return the inbox's result for each."""
        if not events:
            return []
        if self._async is None:
            self._async = httpx.AsyncClient(timeout=self._timeout, trust_env=False)
        try:
            response = await self._async.post(
                self.subscriber.url, content=batch_body(events), headers=self._headers
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(self._unreachable(exc), away=_away(exc)) from exc
        return self._results(response, events)

    def push_sync(self, events: Sequence[Event]) -> list[Result]:
        """``push``, for callers without an event loop."""
        if not events:
            return []
        if self._sync is None:
            self._sync = httpx.Client(timeout=self._timeout, trust_env=False)
        try:
            response = self._sync.post(
                self.subscriber.url, content=batch_body(events), headers=self._headers
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(self._unreachable(exc), away=_away(exc)) from exc
        return self._results(response, events)

    def _unreachable(self, exc: httpx.HTTPError) -> str:
        detail = str(exc) or type(exc).__name__
        return f"{self.subscriber.name} at {self.subscriber.url} did not answer: {detail}"

    def _results(self, response: httpx.Response, events: Sequence[Event]) -> list[Result]:
        where = f"{self.subscriber.name} at {self.subscriber.url}"
        if response.status_code != 200:
            message = error_message(response.content) or response.text[:200]
            raise DeliveryFailed(
                f"{where} answered {response.status_code}: {message}", response.status_code
            )
        try:
            return parse_results(response.content, events)
        except MalformedAnswer as exc:
            raise DeliveryFailed(f"{where} answered a malformed body: {exc}") from exc

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async.aclose()
            self._async = None
        self.close()

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    def __enter__(self) -> Inbox:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> Inbox:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
