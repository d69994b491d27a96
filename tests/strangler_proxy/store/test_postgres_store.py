"""What only the PostgreSQL store does: its tables in the URL's schema, opening a fresh
database from many connections at once, a writer that waits too long, a lost connection,
``fork``, and clear errors for a server that is not there. The behaviour both stores share
is in test_contract.py."""

import os
import secrets
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from strangler_proxy.routing import Mode, RequestFacts, Route
from strangler_proxy.stack.process import free_port
from strangler_proxy.store import NoStore, StoreError, TableWatcher, open_store
from strangler_proxy.store.postgres import PostgresFlagStore

ROUTE = Route("orders", frozenset({"GET"}), "/api/orders/", "orders", Mode.MONOLITH)
FACTS = RequestFacts("GET", "/api/orders/", "addr:127.0.0.1")


def seeded(url: str, **options: float) -> PostgresFlagStore:
    store = PostgresFlagStore(url, create=True, **options)
    store.register_service("orders", ["http://127.0.0.1:8102"], actor="setup")
    store.upsert_routes([ROUTE], actor="setup", reason="seed")
    return store


@pytest.mark.postgres
def test_the_tables_live_in_the_schema_the_url_names(postgres_url: str) -> None:
    assert isinstance(open_store(postgres_url, create=True), PostgresFlagStore)
    schema = postgres_url.rsplit("%3D", 1)[1]
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            " AND table_name IN ('state', 'routes', 'services', 'audit')"
        ).fetchall()
    assert {(s, t) for s, t in rows if s == schema} == {
        (schema, "state"),
        (schema, "routes"),
        (schema, "services"),
        (schema, "audit"),
    }


@pytest.mark.postgres
def test_a_schema_without_the_tables_is_no_store_and_gets_none(postgres_url: str) -> None:
    schema = postgres_url.rsplit("%3D", 1)[1]
    with pytest.raises(NoStore, match=f"no flag store tables in schema '{schema}'"):
        open_store(postgres_url)
    with psycopg.connect(postgres_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchone()
    assert tables == (0,)


@pytest.mark.postgres
def test_a_search_path_naming_no_schema_is_no_store(postgres_url: str) -> None:
    typo = postgres_url.rsplit("%3D", 1)[0] + "%3Dno_such_schema"
    for create in (False, True):  # a typo is not fixed by creating tables somewhere else
        with pytest.raises(StoreError, match="no schema"):
            open_store(typo, create=create)


@pytest.mark.postgres
def test_many_connections_opening_a_fresh_store_at_once_create_it_once(
    postgres_url: str,
) -> None:
    with ThreadPoolExecutor(6) as pool:
        stores = list(pool.map(lambda _: PostgresFlagStore(postgres_url, create=True), range(6)))
    assert [s.version() for s in stores] == [0] * 6
    stores[0].upsert_routes([ROUTE], actor="a", reason="r")
    assert {s.version() for s in stores} == {1}
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM state").fetchone() == (1,)


@pytest.mark.postgres
def test_a_newer_schema_is_refused(postgres_url: str) -> None:
    PostgresFlagStore(postgres_url, create=True).close()
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE state SET schema_version = 99")
    with pytest.raises(StoreError, match="schema version 99, newer than this toolkit's 2"):
        PostgresFlagStore(postgres_url)


@pytest.mark.postgres
def test_a_writer_that_waits_too_long_for_the_lock_fails_and_changes_nothing(
    postgres_url: str,
) -> None:
    store = seeded(postgres_url, lock_timeout=0.3)
    version = store.version()
    with psycopg.connect(postgres_url) as other:  # another host, mid-change
        other.execute("SELECT version FROM state WHERE id = 1 FOR UPDATE")
        with pytest.raises(StoreError, match=r"writing .* failed: .*lock timeout"):
            store.set_route("orders", mode="service", actor="a", reason="r")
    assert (store.version(), store.get_route("orders").mode) == (version, Mode.MONOLITH)
    assert store.set_route("orders", mode="service", actor="a", reason="r").mode is Mode.SERVICE


@pytest.mark.postgres
def test_a_lost_connection_fails_one_poll_then_the_store_reconnects(postgres_url: str) -> None:
    name = f"store-{secrets.token_hex(4)}"
    store = seeded(f"{postgres_url}&application_name={name}")
    watcher = TableWatcher(store)
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # a failover, say
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            (name,),
        ).fetchone()
        assert killed == (1,)
        open_store(postgres_url).set_route("orders", mode="service", actor="a", reason="r")
    assert watcher.poll() is None  # the poll that meets the dead connection
    assert isinstance(watcher.last_error, StoreError)
    assert watcher.table.decide(FACTS).primary == "monolith"  # the last good table
    fresh = watcher.poll()  # connected again
    assert fresh is not None and fresh.decide(FACTS).primary == "orders"
    assert watcher.last_error is None


@pytest.mark.postgres
def test_a_forked_child_gets_its_own_connection(postgres_url: str) -> None:
    store = seeded(postgres_url)
    version = store.version()
    pid = os.fork()
    if pid == 0:  # the child: its own connection; the parent's is left alone
        try:
            store.set_route("orders", mode="service", actor="child", reason="r")
            store.close()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.version() == version + 1  # the parent's connection still works
    assert store.history("orders")[0].actor == "child"


def test_a_server_that_is_not_there_is_a_clear_error_without_the_password() -> None:
    url = f"postgresql://flags:s3cret@127.0.0.1:{free_port()}/flags"
    with pytest.raises(StoreError) as err:
        open_store(url)
    message = str(err.value)
    assert message.startswith("cannot open flag store postgresql://flags:***@127.0.0.1:")
    assert "Connection refused" in message and "s3cret" not in message


def test_a_bad_postgresql_url_names_the_option() -> None:
    with pytest.raises(StoreError, match=r'invalid integer value "notaport".*"port"'):
        open_store("postgresql://127.0.0.1:notaport/flags")
