"""Shadow evidence in the mitmproxy engine, without mitmproxy (tested in the main env).

The addon sends a shadow copy through mitmproxy's replay queue as the client's request
arrives, so the two answers come back in either order, each in its own hook. ``ShadowPairs``
holds a sampled request's answers until all have come (the monolith's, the service's, and
the monolith's second one when the route asks for noise), then hands them to the shared
evidence (``evidence.pairs``: compared in a separate process, kept redacted by a thread) in
a task, off mitmproxy's event loop. Bodies are kept only up to the capture cap: a larger
service answer is compared as "too large" (an error sample, as in the production engine), a
larger or streamed monolith answer is not compared at all.

Memory is bounded as in the production engine, whose shadow queue drops what it cannot
hold: at most ``PENDING`` pairs are waiting or being compared (each holds up to two answers
of the capture cap); past that there is no room (``has_room``) and a copy is sent but not
compared (``skipped`` counts them). A pair whose copy has not come back in ``MAX_WAIT`` seconds is
given up (``given_up``).

>>> import asyncio
>>> from strangler_proxy.compare.answers import Answer
>>> class Kept:  # stands in for PairEvidence (see the tests for the real one)
...     async def compare(self, request, monolith, service, again=None):
...         print(request.target, monolith.body, service)
>>> pairs = ShadowPairs(Kept(), capture_bytes=8)
>>> async def one_request():
...     pairs.open("flow-1", Request("r", "GET", "/a/?q=1", (), None), noise=False)
...     pairs.service("flow-1", pairs.answer(200, (), b"a body too large"))
...     pairs.monolith("flow-1", pairs.answer(200, (), b"{}"))
...     await pairs.drain()
>>> asyncio.run(one_request())
/a/?q=1 b'{}' answer larger than the capture cap (8 bytes)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from strangler_proxy.compare.answers import Answer
from strangler_proxy.evidence.pairs import Request, Side
from strangler_proxy.policy import SAFE_METHODS

__all__ = ["PENDING", "Request", "ShadowPairs", "Side"]

log = logging.getLogger(__name__)
#: sampled requests waiting for their answers or being compared, at most
PENDING = 100
#: seconds a sampled request waits for its copy's answer (mitmproxy replays one at a time)
MAX_WAIT = 120.0
#: the comparisons under way are given this long when the proxy stops (seconds)
DRAIN = 5.0


class Evidence(Protocol):
    async def compare(
        self, request: Request, monolith: Answer, service: Side, again: Side | None = None
    ) -> Any: ...


@dataclass
class _Pair:
    request: Request
    noise: bool  # the monolith is asked again
    opened: float
    monolith: Side | None = None
    service: Side | None = None
    again: Side | None = None
    done: Callable[[str], None] | None = None  # told the verdict (or "not-compared")

    @property
    def complete(self) -> bool:
        here = self.monolith is not None and self.service is not None
        return here and (not self.noise or self.again is not None)


class ShadowPairs:
    def __init__(
        self,
        evidence: Evidence,
        capture_bytes: int,
        *,
        pending: int = PENDING,
        max_wait: float = MAX_WAIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.evidence = evidence
        self.capture_bytes = capture_bytes
        self._limit = pending
        self._max_wait = max_wait
        self._clock = clock
        self._pairs: dict[str, _Pair] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.skipped = 0  # sampled requests not compared: too many pairs under way
        self.given_up = 0  # pairs whose copy did not come back in time

    def has_room(self) -> bool:
        """Whether one more sampled request may be compared: False (and counted in
        ``skipped``) when too many pairs are under way. Pairs waiting too long are given up."""
        now = self._clock()
        while self._pairs:  # oldest first: a dict keeps the order pairs were opened in
            key, pair = next(iter(self._pairs.items()))
            if now - pair.opened < self._max_wait:
                break
            del self._pairs[key]
            _tell(pair.done, "not-compared")
            self.given_up += 1
            log.info("shadow evidence: gave up waiting for the copy of %s", pair.request.target)
        if len(self._pairs) + len(self._tasks) < self._limit:
            return True
        self.skipped += 1
        if self.skipped in (1, 10, 100) or self.skipped % 1000 == 0:
            log.warning(
                "shadow evidence: %d pairs under way, %d copies not compared so far",
                self._limit,
                self.skipped,
            )
        return False

    def open(
        self, key: str, request: Request, *, noise: bool, done: Callable[[str], None] | None = None
    ) -> bool:
        """Wait for ``key``'s answers (the client flow's id; ask ``has_room`` first); True when
        the monolith is to be asked again (noise, for a safe method only). ``done`` is told
        the comparison's verdict, or ``not-compared``."""
        again = noise and request.method in SAFE_METHODS
        self._pairs[key] = _Pair(request, again, self._clock(), done=done)
        return again

    def answer(self, status: int, headers: tuple[tuple[str, str], ...], body: bytes | None) -> Side:
        """An answer as compared: ``body`` None when it was streamed (never held)."""
        if body is None:
            return "answer streamed, not captured"
        if len(body) > self.capture_bytes:
            return f"answer larger than the capture cap ({self.capture_bytes} bytes)"
        return Answer(status, headers, body)

    def monolith(self, key: str, side: Side) -> None:
        """The client's answer; one not captured (or none) is not compared."""
        pair = self._pairs.get(key)
        if pair is None:
            return
        if isinstance(side, str):
            log.info("shadow evidence: %s not compared: the monolith's %s", key, side)
            del self._pairs[key]
            _tell(pair.done, "not-compared")
            return
        pair.monolith = side
        self._ready(key, pair)

    def service(self, key: str, side: Side) -> None:
        if (pair := self._pairs.get(key)) is not None:
            pair.service = side
            self._ready(key, pair)

    def again(self, key: str, side: Side) -> None:
        if (pair := self._pairs.get(key)) is not None:
            pair.again = side
            self._ready(key, pair)

    def forget(self, key: str) -> None:
        if (pair := self._pairs.pop(key, None)) is not None:
            _tell(pair.done, "not-compared")

    @property
    def waiting(self) -> int:
        return len(self._pairs)

    def _ready(self, key: str, pair: _Pair) -> None:
        if not pair.complete:
            return
        del self._pairs[key]
        assert isinstance(pair.monolith, Answer) and pair.service is not None
        task = asyncio.get_running_loop().create_task(
            self._compare(pair.request, pair.monolith, pair.service, pair.again, pair.done)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _compare(
        self,
        request: Request,
        monolith: Answer,
        service: Side,
        again: Side | None,
        done: Callable[[str], None] | None = None,
    ) -> None:
        verdict = "error"
        try:
            outcome = await self.evidence.compare(request, monolith, service, again)
            verdict = str(getattr(getattr(outcome, "verdict", None), "value", verdict))
        except Exception:  # a comparison must never take the proxy down
            log.exception("shadow evidence: %s %s not compared", request.method, request.target)
        finally:
            _tell(done, verdict)

    async def drain(self, timeout: float = DRAIN) -> None:
        """Wait for the comparisons under way (the proxy stops), ``timeout`` at most."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


def _tell(done: Callable[[str], None] | None, outcome: str) -> None:
    if done is not None:
        done(outcome)
