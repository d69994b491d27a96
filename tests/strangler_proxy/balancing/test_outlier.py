"""Passive outlier detection as a pure state machine: the clock is a parameter."""

from __future__ import annotations

from strangler_proxy.balancing import OutlierDetector, OutlierPolicy


def fail(detector: OutlierDetector, times: int, now: float) -> OutlierDetector:
    for _ in range(times):
        detector = detector.failure(now)
    return detector


def test_five_consecutive_failures_eject_for_30_seconds() -> None:
    detector = fail(OutlierDetector(), 4, now=0.0)
    assert not detector.ejected(0.0)
    detector = detector.failure(now=1.0)
    assert detector.ejected(1.0) and detector.ejected(30.9)
    assert not detector.ejected(31.0)


def test_a_success_resets_the_streak() -> None:
    detector = fail(OutlierDetector(), 4, now=0.0).success(now=0.5)
    detector = fail(detector, 4, now=1.0)
    assert not detector.ejected(1.0)


def test_each_ejection_lasts_longer_up_to_the_cap() -> None:
    policy = OutlierPolicy(consecutive=1, base_ejection=30.0, max_ejection=80.0)
    detector = OutlierDetector(policy).failure(now=0.0)
    assert detector.ejected_until == 30.0
    detector = detector.failure(now=30.0)  # fails again right after coming back
    assert detector.ejected_until == 30.0 + 60.0
    detector = detector.failure(now=90.0)
    assert detector.ejected_until == 90.0 + 80.0  # 3 x 30 s capped at 80 s


def test_failures_while_ejected_do_not_extend_the_ejection() -> None:
    detector = fail(OutlierDetector(), 5, now=0.0)
    assert fail(detector, 10, now=5.0) == detector


def test_time_spent_healthy_forgives_past_ejections() -> None:
    detector = fail(OutlierDetector(), 5, now=0.0)  # ejected until 30
    detector = detector.success(now=95.0)  # 65 s healthy since: two base periods
    assert detector.ejections == 0
    detector = fail(detector, 5, now=100.0)
    assert detector.ejected_until == 130.0  # back to the base ejection time
