"""How the mitmproxy engine pairs a shadowed request's answers (``mitm.shadow``): they come
back in either order, each in its own hook; the pair is compared once all are there, with
the real comparison (``evidence.pairs``: a process pool, a real evidence store)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from strangler_proxy.compare.answers import Answer
from strangler_proxy.evidence.pairs import PairEvidence, Recorder, Request, Side
from strangler_proxy.evidence.rules_file import RulesFile
from strangler_proxy.evidence.store import Retention, open_evidence
from strangler_proxy.mitm.shadow import ShadowPairs

JSON = (("Content-Type", "application/json"),)
PRODUCT = Request("detail", "GET", "/api/products/2/?page=1", (("Cookie", "s=1"),), None)


class Seen:
    """The evidence's side, kept for the test to read: what was compared."""

    def __init__(self) -> None:
        self.pairs: list[tuple[str, Answer, Side, Side | None]] = []

    async def compare(
        self, request: Request, monolith: Answer, service: Side, again: Side | None = None
    ) -> None:
        self.pairs.append((request.target, monolith, service, again))


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def pairs(seen: Seen) -> ShadowPairs:
    return ShadowPairs(seen, capture_bytes=64)


def settle(pairs: ShadowPairs, *hooks: Callable[[], object]) -> None:
    """The hooks' calls on an event loop (mitmproxy runs its hooks on one), and then the
    comparisons they started."""

    async def go() -> None:
        for hook in hooks:
            hook()
        await pairs.drain()

    asyncio.run(go())


def json(pairs: ShadowPairs, body: bytes | None) -> Side:
    return pairs.answer(200, JSON, body)


@pytest.mark.parametrize("service_first", [True, False])
def test_a_pair_is_compared_whichever_answer_comes_first(
    pairs: ShadowPairs, seen: Seen, service_first: bool
) -> None:
    steps = [
        lambda: pairs.service("f1", json(pairs, b'{"title": "x"}')),
        lambda: pairs.monolith("f1", json(pairs, b'{"name": "x"}')),
    ]
    settle(
        pairs,
        lambda: pairs.open("f1", PRODUCT, noise=False),
        *(steps if service_first else steps[::-1]),
    )
    [(target, monolith, service, again)] = seen.pairs
    assert (target, monolith.body, again) == (PRODUCT.target, b'{"name": "x"}', None)
    assert isinstance(service, Answer) and service.body == b'{"title": "x"}'
    assert pairs.waiting == 0


def test_with_noise_the_pair_waits_for_the_monolith_asked_again(
    pairs: ShadowPairs, seen: Seen
) -> None:
    assert pairs.open("f1", PRODUCT, noise=True) is True
    settle(
        pairs,
        lambda: pairs.monolith("f1", json(pairs, b"{}")),
        lambda: pairs.service("f1", json(pairs, b"{}")),
    )
    assert seen.pairs == [] and pairs.waiting == 1
    settle(pairs, lambda: pairs.again("f1", json(pairs, b"{}")))
    assert len(seen.pairs) == 1 and seen.pairs[0][3] == Answer(200, JSON, b"{}")


def test_a_write_is_never_asked_twice(pairs: ShadowPairs) -> None:
    post = Request("detail", "POST", "/api/products/", (), b"{}")
    assert pairs.open("f1", post, noise=True) is False


def test_a_service_answer_over_the_cap_is_compared_as_an_error(
    pairs: ShadowPairs, seen: Seen
) -> None:
    settle(
        pairs,
        lambda: pairs.open("f1", PRODUCT, noise=False),
        lambda: pairs.service("f1", json(pairs, b"x" * 65)),
        lambda: pairs.monolith("f1", json(pairs, b"{}")),
    )
    [(_, _, service, _)] = seen.pairs
    assert service == "answer larger than the capture cap (64 bytes)"


@pytest.mark.parametrize("body", [b"x" * 65, None], ids=["over-the-cap", "streamed"])
def test_a_monolith_answer_not_captured_is_not_compared(
    pairs: ShadowPairs, seen: Seen, body: bytes | None
) -> None:
    settle(
        pairs,
        lambda: pairs.open("f1", PRODUCT, noise=False),
        lambda: pairs.monolith("f1", json(pairs, body)),
        lambda: pairs.service("f1", json(pairs, b"{}")),
    )
    assert seen.pairs == [] and pairs.waiting == 0


def test_answers_of_a_request_not_sampled_or_forgotten_are_ignored(
    pairs: ShadowPairs, seen: Seen
) -> None:
    settle(
        pairs,
        lambda: pairs.service("never-opened", json(pairs, b"{}")),
        lambda: pairs.open("f1", PRODUCT, noise=False),
        lambda: pairs.forget("f1"),  # the monolith failed: no answer to compare
        lambda: pairs.service("f1", json(pairs, b"{}")),
    )
    assert seen.pairs == [] and pairs.waiting == 0


def test_past_the_limit_there_is_no_room_and_a_copy_is_not_compared(seen: Seen) -> None:
    pairs = ShadowPairs(seen, capture_bytes=64, pending=2)
    for key in ("a", "b"):
        assert pairs.has_room()
        pairs.open(key, PRODUCT, noise=False)
    assert not pairs.has_room() and pairs.skipped == 1
    settle(
        pairs,
        lambda: pairs.monolith("a", json(pairs, b"{}")),
        lambda: pairs.service("a", json(pairs, b"{}")),
    )
    assert len(seen.pairs) == 1 and pairs.has_room()  # compared: room for one more


def test_a_pair_whose_copy_never_comes_back_is_given_up(seen: Seen) -> None:
    now = [0.0]
    pairs = ShadowPairs(seen, capture_bytes=64, pending=1, max_wait=60, clock=lambda: now[0])
    pairs.open("lost", PRODUCT, noise=False)
    now[0] = 59.0
    assert not pairs.has_room()
    now[0] = 60.0
    assert pairs.has_room() and (pairs.waiting, pairs.given_up) == (0, 1)


def test_the_real_evidence_keeps_the_sample_redacted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'evidence.sqlite3'}"
    rules = RulesFile(None)
    evidence = PairEvidence(rules, Recorder(url, Retention()), executor=ThreadPoolExecutor(1))
    pairs = ShadowPairs(evidence, capture_bytes=1024)

    async def go() -> None:
        pairs.open("f1", PRODUCT, noise=False)
        pairs.service("f1", pairs.answer(200, JSON, b'{"title": "Mug"}'))
        pairs.monolith("f1", pairs.answer(200, JSON, b'{"name": "Mug"}'))
        await pairs.drain()

    asyncio.run(go())
    evidence.close()  # the recorder writes what it holds, then stops
    store = open_evidence(url)
    [sample] = store.samples("detail")
    store.close()
    assert (sample.verdict, sample.path, sample.query) == ("mismatch", "/api/products/2/", "page=1")
    assert {d.path for d in sample.differences} == {"$.name", "$.title"}
    assert sample.headers == (("cookie", "[redacted]"),)
