"""The flag store: the durable, audited route table and service registry.

>>> import tempfile
>>> from strangler_proxy.routing import Mode, Route
>>> folder = tempfile.TemporaryDirectory()
>>> store = open_store(f"sqlite:///{folder.name}/flags.sqlite3", create=True)
>>> detail = Route("catalog-product-detail", frozenset({"GET"}),
...                "/api/catalog/products/{pk:int}/", None, Mode.MONOLITH)
>>> _ = store.upsert_routes([detail], actor="alice", reason="from the analysis")
>>> _ = store.register_service("catalog", ["http://127.0.0.1:8101"], actor="alice")
>>> store.set_route("catalog-product-detail", mode="canary", percent=5,
...                 service="catalog", actor="alice", reason="first 5%").percent
5
>>> [(r.actor, r.reason) for r in store.history("catalog-product-detail", limit=1)]
[('alice', 'first 5%')]
>>> store.close(); folder.cleanup()

``open_store`` accepts ``sqlite:///relative/path``, ``sqlite:////absolute/path`` (the
SQLAlchemy spelling), a bare filesystem path, and ``postgresql://user@host/db`` (any libpq
URL; ``postgres://`` too) for proxies on several hosts. Both stores behave the same (the
logic is ``sql.SqlFlagStore``'s); ``psycopg`` is imported only when a PostgreSQL URL is
opened, so the SQLite store stays standard library only (the mitmproxy environment).

Opening a store that is not there is an error, ``NoStore`` (a ``StoreError``): a typo in a
URL must not quietly make a new, empty store that sends every route to the monolith. Only
a command that creates stores passes ``create=True`` (``strangler routes import``, and so
``strangler up``), and says so when it did::

    try:
        store = open_store(url)
    except NoStore:
        store = open_store(url, create=True)
        print(f"created flag store {url}")

A PostgreSQL database or schema without the store's tables is no store either.
"""

from __future__ import annotations

from pathlib import Path

from strangler_proxy.routing import InvalidFlag
from strangler_proxy.store.base import (
    AuditRecord,
    FlagStore,
    NoStore,
    Snapshot,
    StaleFlag,
    StoreError,
    UnknownRoute,
    UnknownService,
    UpsertResult,
    route_to_json,
)
from strangler_proxy.store.sqlite import SqliteFlagStore
from strangler_proxy.store.watcher import TableWatcher

DEFAULT_STORE_URL = "sqlite:///var/flags.sqlite3"


def open_store(url: str = DEFAULT_STORE_URL, *, create: bool = False) -> FlagStore:
    """Open the flag store at ``url``; ``NoStore`` when there is none, unless ``create``
    (then a missing file, its folder, or the tables in an empty database are made)."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path:
            raise ValueError(f"store URL {url!r} has no file path")
        return SqliteFlagStore(Path(path), create=create)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from strangler_proxy.store.postgres import PostgresFlagStore
        except ImportError as exc:
            raise StoreError(
                f"the PostgreSQL flag store needs psycopg in this environment ({exc})"
            ) from exc
        return PostgresFlagStore(url, create=create)
    if "://" in url:
        raise ValueError(
            f"unsupported store URL {url!r}: expected sqlite:///path or postgresql://..."
        )
    return SqliteFlagStore(Path(url), create=create)


__all__ = [
    "DEFAULT_STORE_URL",
    "AuditRecord",
    "FlagStore",
    "InvalidFlag",
    "NoStore",
    "Snapshot",
    "SqliteFlagStore",
    "StaleFlag",
    "StoreError",
    "TableWatcher",
    "UnknownRoute",
    "UnknownService",
    "UpsertResult",
    "open_store",
    "route_to_json",
]
