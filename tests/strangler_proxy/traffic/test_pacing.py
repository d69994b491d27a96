"""The open-loop limiter: on the clock, bounded by duration x rate, nothing after the deadline."""

from __future__ import annotations

import asyncio

import pytest

from strangler_proxy.traffic.pacing import due_offsets, max_requests, ticks


@pytest.mark.parametrize(
    ("rate", "duration", "bound"),
    [(10, 3, 30), (0.5, 3, 1), (7, 0.1, 0), (33.3, 3, 99), (1000, 0.25, 250), (0.1, 1, 0)],
)
def test_the_bound_is_duration_times_rate_rounded_down(
    rate: float, duration: float, bound: int
) -> None:
    assert max_requests(rate, duration) == bound
    offsets = due_offsets(rate, duration)
    assert len(offsets) == bound
    assert all(0 <= offset < duration for offset in offsets)


def test_requests_are_due_evenly_spaced() -> None:
    assert due_offsets(rate=4, duration=1) == [0.0, 0.25, 0.5, 0.75]


def test_rate_and_duration_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        max_requests(rate=0, duration=1)


class FakeClock:
    """A clock that only moves when someone sleeps on it (and a slow sender moves it more)."""

    def __init__(self, lag: float = 0.0) -> None:
        self.now = 100.0
        self.lag = lag

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now += delay


async def collect(rate: float, duration: float, clock: FakeClock) -> list[tuple[int, float]]:
    seen = []
    async for i in ticks(rate, duration, clock=clock):
        seen.append((i, clock.now - 100.0))
        clock.now += clock.lag  # the time it takes to hand the request over
    return seen


def test_ticks_leave_on_time(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(asyncio, "sleep", clock.sleep)
    seen = asyncio.run(collect(rate=5, duration=2, clock=clock))
    assert [i for i, _ in seen] == list(range(10))
    assert [round(t, 6) for _, t in seen] == [i / 5 for i in range(10)]


def test_a_slow_sender_catches_up_but_stops_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock(lag=0.5)  # every hand-over takes 0.5 s, the rate asks for one per 0.1 s
    monkeypatch.setattr(asyncio, "sleep", clock.sleep)
    seen = asyncio.run(collect(rate=10, duration=2, clock=clock))
    assert len(seen) <= max_requests(10, 2)
    assert all(t < 2 for _, t in seen), "nothing leaves after the deadline"
    assert len(seen) == 4  # at 0, 0.5, 1.0, 1.5 s: it never sleeps while behind


def test_ticks_on_the_real_clock_stay_within_the_bound() -> None:
    async def count() -> int:
        return len([i async for i in ticks(rate=200, duration=0.3)])

    assert 0 < asyncio.run(count()) <= 60
