"""Schema 2 and conditional flips, on both backends: a store written by the previous version
(schema 1) is brought to schema 2 when opened, its routes keeping their flags and gaining
``shadow_writes`` (false); a flip can require the mode it was decided on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from strangler_proxy.routing import Mode, Route
from strangler_proxy.store import StaleFlag, open_store


def as_schema_one(url: str) -> None:
    """Turn a new store back into what version 1 wrote (no shadow_writes column)."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("ALTER TABLE routes DROP COLUMN shadow_writes")
            conn.execute("PRAGMA user_version = 1")
        return
    with psycopg.connect(url) as conn:
        conn.execute("ALTER TABLE routes DROP COLUMN shadow_writes")
        conn.execute("UPDATE state SET schema_version = 1")


def test_a_schema_one_store_is_migrated_and_keeps_its_flags(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url, create=True)
    store.register_service("reviews", ["http://127.0.0.1:8102"], actor="t")
    store.upsert_routes(
        [Route("reviews", frozenset({"GET", "POST"}), "/api/reviews/", "reviews", Mode.SHADOW)],
        actor="t", reason="import",
    )  # fmt: skip
    store.close()
    as_schema_one(store_url)
    store = open_store(store_url)  # a reader: migrating is not creating
    [route] = store.load().routes()
    assert (route.mode, route.shadow_writes) == (Mode.SHADOW, False)
    changed = store.set_route("reviews", shadow_writes=True, actor="t", reason="disposable db")
    assert changed.shadow_writes
    [record] = store.history("reviews", limit=1)
    assert (record.before or {})["shadow_writes"] is False
    assert (record.after or {})["shadow_writes"] is True
    store.close()
    assert open_store(store_url).load().routes()[0].shadow_writes


@pytest.mark.parametrize("keep_flags", [True])
def test_a_re_import_keeps_shadow_writes(store_url: str, keep_flags: bool) -> None:
    store = open_store(store_url, create=True)
    store.register_service("reviews", ["http://127.0.0.1:8102"], actor="t")
    route = Route(
        "reviews", frozenset({"POST"}), "/api/reviews/", "reviews", Mode.SHADOW, shadow_writes=True
    )
    store.upsert_routes([route], actor="t", reason="first")
    fresh = Route("reviews", frozenset({"POST"}), "/api/reviews/", "reviews", Mode.MONOLITH)
    store.upsert_routes([fresh], actor="t", reason="again", keep_flags=keep_flags)
    assert store.load().routes()[0].shadow_writes
    store.close()


def test_a_flip_decided_on_an_old_mode_is_not_applied(store_url: str) -> None:
    """Several proxies may decide the same rollback: the first flips, the others find the
    route moved and write nothing (one decision, one audit row)."""
    store = open_store(store_url, create=True)
    store.register_service("reviews", ["http://127.0.0.1:8102"], actor="t")
    store.upsert_routes(
        [Route("reviews", frozenset(), "/api/reviews/", "reviews", Mode.SERVICE)],
        actor="t", reason="import",
    )  # fmt: skip
    store.set_route("reviews", mode=Mode.MONOLITH, expect_mode=Mode.SERVICE, actor="a", reason="1")
    with pytest.raises(StaleFlag, match="route 'reviews' is monolith now, not service"):
        store.set_route("reviews", mode=Mode.MONOLITH, expect_mode=Mode.SERVICE, actor="b",
                        reason="2")  # fmt: skip
    assert [r.actor for r in store.history("reviews", limit=5) if r.action == "set"] == ["a"]
    store.close()
