"""The mitmproxy engine's decisions, without mitmproxy: a real SQLite flag store in a tmp dir."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from strangler_proxy.mitm.router import Router, internal_headers
from strangler_proxy.policy import canary_cookie
from strangler_proxy.registry import InstanceAddress, Origin
from strangler_proxy.routing import Mode, Route
from strangler_proxy.store import FlagStore, open_store

PRODUCT = "/api/catalog/products/7/"


class Clock:
    """A clock the test moves by hand (the router polls the store on it)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FlagStore]:
    store = open_store(f"sqlite:///{tmp_path / 'flags.sqlite3'}", create=True)
    store.register_service(
        "catalog", ["http://127.0.0.1:8101", "http://127.0.0.1:8102/"], actor="test"
    )
    store.upsert_routes(
        [
            Route(
                "catalog-product-detail",
                frozenset({"GET"}),
                "/api/catalog/products/{pk:int}/",
                None,
                Mode.MONOLITH,
            )
        ],
        actor="test",
        reason="fixture",
    )
    yield store
    store.close()


def flip(store: FlagStore, mode: str, percent: int = 0, service: str = "catalog") -> None:
    store.set_route(
        "catalog-product-detail",
        mode=mode,
        percent=percent,
        service=service,
        actor="test",
        reason=f"to {mode}",
    )


def test_unmatched_and_monolith_routes_stay_on_the_monolith(store: FlagStore) -> None:
    router = Router(store)
    plan = router.plan("GET", PRODUCT, {}, "127.0.0.1")
    assert (plan.served_by, plan.target, plan.shadow) == ("monolith", None, None)
    assert plan.metadata()["route"] == "catalog-product-detail"
    assert router.plan("GET", "/api/orders/", {}, "127.0.0.1").decision.route_id is None


def test_service_mode_balances_over_the_instances(
    store: FlagStore,
) -> None:
    flip(store, "service")
    router = Router(store)
    targets = [router.plan("GET", PRODUCT, {}, "127.0.0.1").target for _ in range(4)]
    first = InstanceAddress(Origin("127.0.0.1", 8101))
    second = InstanceAddress(Origin("127.0.0.1", 8102))
    assert targets == [first, second, first, second]
    assert router.plan("GET", PRODUCT, {}, None).served_by == "catalog"


def test_shadow_mode_answers_from_the_monolith_and_copies_to_the_service(
    store: FlagStore,
) -> None:
    flip(store, "shadow")
    plan = Router(store).plan("GET", PRODUCT, {}, "127.0.0.1")
    assert plan.served_by == "monolith" and plan.target is None
    assert plan.shadow == InstanceAddress(Origin("127.0.0.1", 8101))
    assert plan.metadata()["shadow"] == "catalog"


def test_canary_splits_by_client_and_is_sticky(store: FlagStore) -> None:
    flip(store, "canary", percent=30)
    router = Router(store)
    served = Counter(
        router.plan("GET", PRODUCT, {"cookie": f"strangler_client=c{i}"}, "127.0.0.1").served_by
        for i in range(2000)
    )
    assert 500 < served["catalog"] < 700, served  # 30% of 2000, give or take
    same_client = {"cookie": "strangler_client=c1"}
    assert len({router.plan("GET", PRODUCT, same_client, None).served_by for _ in range(50)}) == 1


def test_a_canary_gives_a_client_without_identity_a_cookie_and_decides_by_it(
    store: FlagStore,
) -> None:
    flip(store, "canary", percent=50)
    ids = iter(f"new-{i}" for i in range(1000))
    router = Router(store, new_client=lambda: next(ids))
    plans = [router.plan("GET", PRODUCT, {}, "10.0.0.7") for _ in range(200)]
    assert [p.set_cookie for p in plans[:2]] == [canary_cookie("new-0"), canary_cookie("new-1")]
    assert canary_cookie("x") == "strangler_client=x; Path=/; HttpOnly; SameSite=Lax"
    # one address, yet the new cookies spread the clients across both sides...
    assert 60 < Counter(p.served_by for p in plans)["catalog"] < 140
    # ...and each client, back with its cookie, lands where its first request did
    for i in range(0, 200, 10):
        back = router.plan("GET", PRODUCT, {"cookie": f"strangler_client=new-{i}"}, "10.0.0.7")
        assert (back.served_by, back.set_cookie) == (plans[i].served_by, None)


def test_no_cookie_for_a_known_user_or_outside_a_canary(store: FlagStore) -> None:
    router = Router(store)
    assert router.plan("GET", PRODUCT, {}, "10.0.0.7").set_cookie is None  # monolith mode
    flip(store, "canary", percent=50)
    router = Router(store)
    for known in ({"authorization": "Token abc"}, {"cookie": "sessionid=s; a=b"}):
        assert router.plan("GET", PRODUCT, known, "10.0.0.7").set_cookie is None
    assert router.plan("GET", "/api/orders/", {}, "10.0.0.7").set_cookie is None  # unmatched


def test_a_flip_is_seen_after_the_poll_interval(store: FlagStore) -> None:
    clock = Clock()
    router = Router(store, poll_interval=0.5, clock=clock)
    flip(store, "service")
    assert router.plan("GET", PRODUCT, {}, None).served_by == "monolith"  # not polled yet
    clock.now += 0.5
    assert router.plan("GET", PRODUCT, {}, None).served_by == "catalog"
    assert router.table.version == store.version()


def test_clients_cannot_send_internal_headers() -> None:
    names = ["Host", "X-Strangler-Served-By", "x-strangler-route", "X-Request-ID"]
    assert internal_headers(names) == ["X-Strangler-Served-By", "x-strangler-route"]


def test_bad_settings_are_named(store: FlagStore) -> None:
    with pytest.raises(ValueError, match="poll_interval must be positive"):
        Router(store, poll_interval=0)
    with pytest.raises(ValueError, match="need http://host"):
        InstanceAddress.parse("ftp://127.0.0.1/")
