"""The ``FlagStore`` contract, checked on every backend (``store_url`` in conftest.py is a
fresh store on SQLite and on PostgreSQL): the same calls give the same answers."""

import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise

import pytest

from strangler_proxy.routing import InvalidFlag, Mode, Route
from strangler_proxy.store import (
    FlagStore,
    NoStore,
    UnknownRoute,
    UnknownService,
    open_store,
)

ROUTES = [
    Route(
        "catalog-product-list", frozenset({"GET"}), "/api/catalog/products/", None, Mode.MONOLITH
    ),
    Route(
        "catalog-product-detail",
        frozenset({"GET", "PUT"}),
        "/api/catalog/products/{pk:int}/",
        "catalog",
        Mode.MONOLITH,
    ),
]


@pytest.fixture
def store(store_url: str) -> Iterator[FlagStore]:
    s = open_store(store_url, create=True)
    s.register_service("catalog", ["http://127.0.0.1:8101"], actor="setup")
    s.upsert_routes(ROUTES, actor="setup", reason="seed")
    yield s
    s.close()


def test_only_create_makes_a_store_every_other_open_of_none_is_an_error(store_url: str) -> None:
    """A typo in a store URL must not become a fresh, empty store (every route to the
    monolith, no error): SQLite without its file, PostgreSQL without the tables alike."""
    for _ in range(2):  # the failed open made nothing the next one would find
        with pytest.raises(NoStore, match=r"no flag store at .*`strangler routes import` creates"):
            open_store(store_url)

    created = open_store(store_url, create=True)
    assert created.version() == 0
    created.close()
    reopened = open_store(store_url)  # the readers' open: it is there now
    assert (reopened.version(), list(reopened.load().routes())) == (0, [])
    reopened.close()


def test_a_flip_is_audited_and_survives_reopening(store: FlagStore, store_url: str) -> None:
    before = store.version()
    route = store.set_route(
        "catalog-product-detail", mode="canary", percent=5, actor="alice", reason="first 5%"
    )
    assert (route.mode, route.percent, route.service) == (Mode.CANARY, 5, "catalog")
    assert store.version() == before + 1
    store.close()

    reopened = open_store(store_url)
    table = reopened.load()
    assert table.version == before + 1
    assert table.get("catalog-product-detail") == route
    [last, *_] = reopened.history("catalog-product-detail")
    assert (last.actor, last.action, last.reason, last.version) == (
        "alice",
        "set",
        "first 5%",
        2 + 1,
    )
    assert last.before is not None and last.before["mode"] == "monolith"
    assert last.after is not None and last.after["mode"] == "canary" and last.after["percent"] == 5
    assert last.at.endswith("+00:00")


def test_unchanged_fields_are_kept(store: FlagStore) -> None:
    store.set_route("catalog-product-detail", mode="canary", percent=5, actor="a", reason="r")
    bumped = store.set_route("catalog-product-detail", percent=25, actor="a", reason="more")
    assert (bumped.mode, bumped.percent, bumped.service) == (Mode.CANARY, 25, "catalog")
    # the service suggested by the import is used when none is given
    assert (
        store.set_route("catalog-product-detail", mode="service", actor="a", reason="r").service
        == "catalog"
    )


@pytest.mark.parametrize(
    ("route_id", "changes", "error", "field"),
    [
        ("catalog-product-detail", {"mode": "sideways"}, InvalidFlag, "mode"),
        ("catalog-product-detail", {"mode": "canary", "percent": 101}, InvalidFlag, "percent"),
        ("catalog-product-detail", {"mode": "canary", "percent": -5}, InvalidFlag, "percent"),
        ("catalog-product-list", {"mode": "service"}, InvalidFlag, "service"),
        ("catalog-product-list", {"mode": "shadow"}, InvalidFlag, "service"),
        ("catalog-product-list", {"mode": "canary", "percent": 5}, InvalidFlag, "service"),
        (
            "catalog-product-list",
            {"mode": "service", "service": "nowhere"},
            UnknownService,
            "service",
        ),
        (
            "catalog-product-list",
            {"mode": "service", "service": "Bad Name"},
            InvalidFlag,
            "service",
        ),
        ("no-such-route", {"mode": "monolith"}, UnknownRoute, "route"),
        ("catalog-product-detail", {"mode": "service", "reason": " "}, InvalidFlag, "reason"),
        ("catalog-product-detail", {"mode": "service", "actor": ""}, InvalidFlag, "actor"),
    ],
)
def test_invalid_values_are_refused_and_nothing_changes(
    store: FlagStore,
    route_id: str,
    changes: dict[str, object],
    error: type[Exception],
    field: str,
) -> None:
    version, table, history = store.version(), store.load().routes(), store.history()
    kwargs: dict[str, object] = {"actor": "mallory", "reason": "because", **changes}
    with pytest.raises(error) as err:
        store.set_route(route_id, **kwargs)  # type: ignore[arg-type]
    assert isinstance(err.value, InvalidFlag) and err.value.field == field
    assert field in str(err.value)
    assert (store.version(), store.load().routes(), store.history()) == (version, table, history)


def test_reimport_keeps_flags_and_prunes_only_monolith_routes(store: FlagStore) -> None:
    store.set_route("catalog-product-detail", mode="service", actor="a", reason="cut over")
    store.upsert_routes(
        [Route("old-endpoint", frozenset(), "/old/", None, Mode.MONOLITH)], actor="a", reason="r"
    )
    fresh = [
        Route(
            "catalog-product-detail",
            frozenset({"GET"}),
            "/api/catalog/products/{pk:int}/",
            None,
            Mode.MONOLITH,
        ),
        Route("orders-list", frozenset({"GET"}), "/api/orders/", "orders", Mode.MONOLITH),
    ]
    result = store.upsert_routes(
        fresh, actor="import", reason="re-import", keep_flags=True, prune=True
    )
    assert result.added == ("orders-list",)
    assert result.updated == ("catalog-product-detail",)  # its methods changed, its flag did not
    assert set(result.removed) == {"catalog-product-list", "old-endpoint"}
    assert result.kept_orphans == ()
    table = store.load()
    detail = table.get("catalog-product-detail")
    assert detail is not None and (detail.mode, detail.service, detail.methods) == (
        Mode.SERVICE,
        "catalog",
        frozenset({"GET"}),
    )
    assert [r.id for r in table.routes()] == ["orders-list", "catalog-product-detail"]
    assert store.history("old-endpoint")[0].action == "remove"


def test_reimport_never_drops_a_route_that_serves_traffic(store: FlagStore) -> None:
    store.set_route("catalog-product-detail", mode="shadow", actor="a", reason="r")
    result = store.upsert_routes(
        [], actor="import", reason="empty source", keep_flags=True, prune=True
    )
    assert result.kept_orphans == ("catalog-product-detail",)
    assert store.load().get("catalog-product-detail") is not None


def test_upsert_is_all_or_nothing(store: FlagStore) -> None:
    version = store.version()
    batch = [
        Route("new-ok", frozenset(), "/ok/", None, Mode.MONOLITH),
        Route("new-bad", frozenset(), "/bad/", "unregistered", Mode.SERVICE),
    ]
    with pytest.raises(UnknownService):
        store.upsert_routes(batch, actor="a", reason="r")
    with pytest.raises(InvalidFlag, match="duplicate route id"):
        store.upsert_routes([batch[0], batch[0]], actor="a", reason="r")
    assert store.version() == version
    assert store.load().get("new-ok") is None


def test_services_registry(store: FlagStore) -> None:
    store.register_service(
        "orders", ["http://127.0.0.1:8102/", "http://127.0.0.1:8103"], actor="ops"
    )
    store.register_service("catalog", ["http://127.0.0.1:8111"], actor="ops", reason="moved")
    assert [(s.name, s.instances) for s in store.services()] == [
        ("catalog", ("http://127.0.0.1:8111",)),
        ("orders", ("http://127.0.0.1:8102", "http://127.0.0.1:8103")),
    ]
    [moved, *_] = store.history()
    assert (moved.action, moved.service, moved.reason) == ("service", "catalog", "moved")
    assert moved.before == {"instances": ["http://127.0.0.1:8101"]}
    version = store.version()
    for name, urls, field in [
        ("Orders", ["http://127.0.0.1:1"], "name"),
        ("monolith", ["http://127.0.0.1:1"], "name"),
        ("orders", [], "urls"),
        ("orders", ["ftp://127.0.0.1:1"], "urls"),
        ("orders", ["http://127.0.0.1:notaport"], "urls"),
        ("orders", ["http://a:1", "http://a:1/"], "urls"),
        ("orders", "http://127.0.0.1:1", "urls"),
    ]:
        with pytest.raises(InvalidFlag) as err:
            store.register_service(name, urls, actor="ops")  # a bare str is refused too
        assert err.value.field == field, (name, urls)
    assert store.version() == version


def test_history_of_an_unknown_route_is_an_error(store: FlagStore) -> None:
    with pytest.raises(UnknownRoute):
        store.history("never-existed")
    assert len(store.history(limit=2)) == 2


WRITER = """
import sys
from strangler_proxy.store import open_store
store = open_store(sys.argv[1])
for i in range(int(sys.argv[3])):
    # percent only, or mode and percent: each change builds on the one before it
    store.set_route("catalog-product-detail", mode=None if i % 2 else "canary",
                    percent=i % 101, actor=sys.argv[2], reason=f"step {i}")
"""


def test_concurrent_writers_in_two_processes_lose_nothing(store: FlagStore, store_url: str) -> None:
    start, writes = store.version(), 40
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, store_url, name, str(writes)])
        for name in ("writer-a", "writer-b")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert store.version() == start + 2 * writes
    records = store.history("catalog-product-detail", limit=1000)
    sets = sorted((r for r in records if r.action == "set"), key=lambda r: r.version)
    assert [r.version for r in sets] == list(range(start + 1, start + 2 * writes + 1))
    assert {r.actor for r in sets} == {"writer-a", "writer-b"}
    # no writer read a stale flag: each change starts from the one committed before it
    assert all(a.after == b.before for a, b in pairwise(sets))
    last = store.get_route("catalog-product-detail")
    assert sets[-1].after is not None and sets[-1].after["percent"] == last.percent


def test_a_preview_checks_a_flip_as_set_route_would_and_writes_nothing(store: FlagStore) -> None:
    version = store.version()
    before, after = store.preview_route(
        "catalog-product-detail", mode=Mode.CANARY, percent=5, service="catalog"
    )
    assert (before.mode, after.mode, after.percent) == (Mode.MONOLITH, Mode.CANARY, 5)
    with pytest.raises(UnknownService):
        store.preview_route("catalog-product-detail", mode=Mode.SERVICE, service="ghost")
    with pytest.raises(InvalidFlag, match="needs a service"):
        store.preview_route("catalog-product-list", mode=Mode.SERVICE)
    assert store.version() == version
    assert store.get_route("catalog-product-detail").mode is Mode.MONOLITH
