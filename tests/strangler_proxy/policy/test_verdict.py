"""When the monolith answers instead of a failing service: the policy both engines follow
(pure; ``test_both_engines`` runs the same cases through the real engines)."""

from __future__ import annotations

import pytest

from strangler_proxy.policy import (
    PROXY,
    Action,
    Attempt,
    Failure,
    Tried,
    Verdict,
    judge,
    unavailable,
)

REFUSED = Attempt(failure=Failure.REFUSED, detail="[Errno 111] Connect call failed")
CONNECT_TIMEOUT = Attempt(failure=Failure.CONNECT_TIMEOUT)
TIMEOUT = Attempt(failure=Failure.TIMEOUT)
BROKEN = Attempt(failure=Failure.BROKEN, detail="peer closed connection")


@pytest.mark.parametrize(
    ("method", "attempt", "verdict"),
    [
        # safe to repeat: any failure or 5xx falls back
        ("GET", REFUSED, Verdict(Action.FALLBACK, "refused")),
        ("HEAD", TIMEOUT, Verdict(Action.FALLBACK, "timeout")),
        ("OPTIONS", BROKEN, Verdict(Action.FALLBACK, "broken")),
        ("GET", Attempt(status=503), Verdict(Action.FALLBACK, "5xx")),
        ("GET", Attempt(status=404), Verdict(Action.RELAY)),
        # never reached the service: falls back whatever the method
        ("POST", REFUSED, Verdict(Action.FALLBACK, "refused")),
        ("DELETE", CONNECT_TIMEOUT, Verdict(Action.FALLBACK, "timeout")),
        # reached the service and not safe to repeat: never sent twice
        ("POST", Attempt(status=500), Verdict(Action.RELAY)),
        ("PUT", TIMEOUT, Verdict(Action.ERROR, "upstream timed out", 504, "upstream_timeout")),
        (
            "POST",
            BROKEN,
            Verdict(
                Action.ERROR, "upstream failed: peer closed connection", 502, "upstream_failed"
            ),
        ),
        # methods are case-sensitive (RFC 9110 9.1): "get" is not GET, so never repeated
        ("get", TIMEOUT, Verdict(Action.ERROR, "upstream timed out", 504, "upstream_timeout")),
    ],
)
def test_the_monolith_answers_only_when_repeating_is_safe(
    method: str, attempt: Attempt, verdict: Verdict
) -> None:
    assert judge(method, attempt, fallback=True) == verdict


@pytest.mark.parametrize(
    ("attempt", "verdict"),
    [
        (
            REFUSED,
            Verdict(Action.ERROR, "upstream refused the connection", 502, "upstream_refused"),
        ),
        (CONNECT_TIMEOUT, Verdict(Action.ERROR, "upstream timed out", 504, "upstream_timeout")),
        (Attempt(status=502), Verdict(Action.RELAY)),
    ],
)
def test_without_a_fallback_the_proxy_answers_the_failure(
    attempt: Attempt, verdict: Verdict
) -> None:
    assert judge("GET", attempt, fallback=False) == verdict


def test_an_attempt_has_a_status_or_a_failure() -> None:
    with pytest.raises(ValueError, match="either a status or a failure"):
        Attempt()
    with pytest.raises(ValueError, match="either a status or a failure"):
        Attempt(status=200, failure=Failure.BROKEN)
    assert not REFUSED.reached and not CONNECT_TIMEOUT.reached and BROKEN.reached


@pytest.mark.parametrize(
    ("attempt", "verdict"),
    [
        # the body went out while it was read: it cannot be sent to the monolith again...
        (TIMEOUT, Verdict(Action.ERROR, "upstream timed out", 504, "upstream_timeout")),
        (Attempt(status=503), Verdict(Action.RELAY)),
        # ...unless nothing reached the service
        (REFUSED, Verdict(Action.FALLBACK, "refused")),
        (CONNECT_TIMEOUT, Verdict(Action.FALLBACK, "timeout")),
    ],
)
def test_a_streamed_body_is_never_sent_twice(attempt: Attempt, verdict: Verdict) -> None:
    assert judge("GET", attempt, fallback=True, streamed=True) == verdict


def test_with_no_instance_to_try_the_monolith_answers_or_the_proxy_says_503() -> None:
    assert unavailable("catalog", fallback=True) == Verdict(Action.FALLBACK, "circuit-open")
    assert unavailable("catalog", fallback=False) == Verdict(
        Action.ERROR, "no available instance of catalog", 503, "no_instance"
    )


MONOLITH = Tried("monolith", "http://127.0.0.1:8000")
CATALOG = Tried("catalog", "http://127.0.0.1:8101")


@pytest.mark.parametrize(
    ("attempt", "verdict"),
    [
        (
            Attempt(failure=Failure.REFUSED, tried=MONOLITH),
            Verdict(Action.ERROR, "upstream monolith at http://127.0.0.1:8000 refused the "
                    "connection", 502, "upstream_refused", "monolith"),
        ),
        (
            Attempt(failure=Failure.TIMEOUT, tried=CATALOG),
            Verdict(Action.ERROR, "upstream catalog at http://127.0.0.1:8101 timed out", 504,
                    "upstream_timeout", "catalog"),
        ),
        (
            Attempt(failure=Failure.BROKEN, detail="peer closed", tried=CATALOG),
            Verdict(Action.ERROR, "upstream catalog at http://127.0.0.1:8101 failed: peer "
                    "closed", 502, "upstream_failed", "catalog"),
        ),
    ],
)  # fmt: skip
def test_the_proxys_error_names_the_upstream_tried_and_answers_as_it(
    attempt: Attempt, verdict: Verdict
) -> None:
    assert judge("POST", attempt, fallback=False) == verdict


def test_an_error_before_any_attempt_is_served_by_the_proxy() -> None:
    assert unavailable("catalog", fallback=False).served_by == PROXY == "proxy"
