"""Picking an instance: available ones only, fewest in flight, rotating among ties."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from strangler_proxy.balancing import OutlierPolicy, ServicePools

URLS = ("http://127.0.0.1:8101", "http://127.0.0.1:8102", "http://127.0.0.1:8103")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def pools(clock: Clock | None = None) -> ServicePools:
    p = ServicePools(OutlierPolicy(consecutive=2, base_ejection=10.0), clock=clock or Clock())
    p.update({"catalog": URLS})
    return p


def test_requests_rotate_over_idle_instances() -> None:
    p = pools()
    picks = Counter(p.pick("catalog").url for _ in range(300))  # type: ignore[union-attr]
    assert picks == {url: 100 for url in URLS}


def test_the_least_busy_instance_is_picked() -> None:
    p = pools()
    first, second, third = p.instances()
    first.inflight, second.inflight, third.inflight = 3, 1, 2
    assert p.pick("catalog") is second


def test_unhealthy_and_ejected_instances_are_skipped_until_they_recover() -> None:
    clock = Clock()
    p = pools(clock)
    first, second, third = p.instances()
    first.healthy = False
    p.report(second, ok=False)
    p.report(second, ok=False)  # ejected for 10 s
    assert {p.pick("catalog") for _ in range(10)} == {third}
    clock.now = 10.0
    assert {p.pick("catalog") for _ in range(10)} == {second, third}


def test_no_available_instance_means_the_circuit_is_open() -> None:
    p = pools()
    for instance in p.instances():
        instance.healthy = False
    assert p.pick("catalog") is None
    assert p.pick("unknown-service") is None


def test_a_registry_update_keeps_the_state_of_instances_that_stay() -> None:
    p = pools()
    first = p.instances()[0]
    first.healthy = False
    p.update({"catalog": (URLS[0], "http://127.0.0.1:8104")})
    assert [i.url for i in p.instances()] == [URLS[0], "http://127.0.0.1:8104"]
    assert p.instances()[0] is first and not first.healthy


def test_the_snapshot_shows_each_instance() -> None:
    p = pools()
    p.instances()[0].healthy = False
    view = p.snapshot()["catalog"]
    assert [(i["url"], i["available"]) for i in view] == [
        (URLS[0], False),
        (URLS[1], True),
        (URLS[2], True),
    ]


def test_the_snapshot_says_until_when_an_instance_is_ejected() -> None:
    clock = Clock()
    p = pools(clock)
    first = p.instances()[0]
    for _ in range(2):  # consecutive=2: ejected for base_ejection, 10 s
        p.report(first, ok=False)
    before = datetime.now(UTC)
    view = p.snapshot()["catalog"]
    until = datetime.fromisoformat(view[0]["ejected_until"])
    assert view[0]["ejected"] and 9 <= (until - before).total_seconds() <= 11
    assert view[1]["ejected_until"] is None
    assert view[0]["last_check_at"] is None, "never checked yet"
