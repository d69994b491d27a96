import subprocess
import sys
import time
from pathlib import Path

from strangler_proxy.routing import Mode, RequestFacts, Route
from strangler_proxy.store import FlagStore, SqliteFlagStore, StoreError, TableWatcher, open_store

ROUTE = Route("orders", frozenset({"GET"}), "/api/orders/", "orders", Mode.MONOLITH)


def make_store(url: str) -> FlagStore:
    store = open_store(url, create=True)
    store.register_service("orders", ["http://127.0.0.1:8102"], actor="setup")
    store.upsert_routes([ROUTE], actor="setup", reason="seed")
    return store


def test_watcher_swaps_the_table_when_another_process_flips(store_url: str) -> None:
    """On both backends (``store_url``): a flip by another process is seen within 1 s."""
    store = make_store(store_url)
    watcher = TableWatcher(store)
    facts = RequestFacts("GET", "/api/orders/", "addr:127.0.0.1")
    assert watcher.table.decide(facts).primary == "monolith"
    assert watcher.poll() is None  # nothing changed

    flip = (
        "import sys; from strangler_proxy.store import open_store; "
        "open_store(sys.argv[1]).set_route('orders', mode='service', actor='ci', reason='flip')"
    )
    subprocess.run([sys.executable, "-c", flip, store_url], check=True, timeout=60)

    deadline = time.monotonic() + 1.0  # the contract: seen within one second
    fresh = watcher.poll()
    while fresh is None and time.monotonic() < deadline:
        time.sleep(0.05)
        fresh = watcher.poll()
    assert fresh is not None and fresh is watcher.table
    assert fresh.decide(facts).primary == "orders"
    assert [s.name for s in watcher.services] == ["orders"]
    assert watcher.poll() is None
    store.close()


class BrokenStore(SqliteFlagStore):
    """The real store whose reads start failing (a locked or vanished disk)."""

    broken = False

    def version(self) -> int:
        if self.broken:
            raise StoreError("disk I/O error")
        return super().version()


def test_watcher_keeps_the_last_good_table_when_the_store_fails(tmp_path: Path) -> None:
    store = BrokenStore(tmp_path / "flags.sqlite3", create=True)
    store.upsert_routes([ROUTE], actor="setup", reason="seed")
    watcher = TableWatcher(store)
    good = watcher.table
    store.broken = True
    assert watcher.poll() is None
    assert watcher.table is good
    assert watcher.failures == 1 and "disk I/O error" in str(watcher.last_error)
    store.broken = False
    store.set_route("orders", mode="monolith", percent=3, actor="a", reason="r")
    assert watcher.poll() is not None and watcher.last_error is None
