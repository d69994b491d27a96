"""The rules file: every kind of setting, global and per route, and bad ones named."""

from __future__ import annotations

import pytest

from strangler_proxy.compare.book import BookError, parse_book

BOOK = """
[global]
ignore = ["$..served_at"]
sample_rate = 0.5
gate = { min_samples = 50 }
rollback = { max_error_rate = 0.1 }

[routes.product-detail]
noise = true
redact = ["card"]
gate = { min_match_rate = 0.99 }
rollback = { min_requests = 10, max_latency_ratio = 2.0 }
"""


def test_route_settings_override_the_global_ones() -> None:
    book = parse_book(BOOK)
    assert book.gate_for("product-detail") == {"min_samples": 50, "min_match_rate": 0.99}
    assert book.gate_for("other") == {"min_samples": 50}
    assert book.budget_for("product-detail") == {
        "max_error_rate": 0.1, "min_requests": 10, "max_latency_ratio": 2.0,
    }  # fmt: skip
    shadowing = book.shadowing_for("product-detail")
    assert (shadowing.sample_rate, shadowing.noise, shadowing.redact) == (
        0.5,
        True,
        frozenset({"card"}),
    )
    assert book.for_route("product-detail").ignore == ("$..served_at",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[global]\ngate = { min_samples = -1 }", "global.gate.min_samples: expected 0 to any"),
        ("[global]\ngate = { min_samples = 1.5 }", "global.gate.min_samples: expected an integer"),
        ("[routes.a]\nrollback = { max_error_rate = 2 }", "routes.a.rollback.max_error_rate"),
        ("[routes.a]\nrollback = { speed = 1 }", "routes.a.rollback.speed: unknown setting"),
        ("[routes.a]\nsample_rate = 3", "routes.a.sample_rate: expected a number from 0 to 1"),
        ("[routes.a]\nnoise = 1", "routes.a.noise: expected true or false"),
        ("[routes.a]\nunordered = [{ path = 'results' }]", "routes.a.unordered: bad path glob"),
        ("[routes.a]\ncolour = 1", "routes.a.colour: unknown rule"),
        ("[other]", "other: unknown section"),
        ("[global", "not TOML"),
    ],
)
def test_a_bad_setting_is_named(text: str, message: str) -> None:
    with pytest.raises(BookError, match=message.replace("[", r"\[").replace(".", r"\.")):
        parse_book(text)
