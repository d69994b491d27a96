"""``TableWatcher``: the data plane's view of the store, refreshed by polling ``version()``.

Synchronous and free of asyncio: an engine calls ``poll()`` from a timer (every ~0.5 s)
and, when it returns a table, swaps its reference to it in one assignment.

>>> import tempfile
>>> from pathlib import Path
>>> from strangler_proxy.routing import Mode, RequestFacts, Route
>>> from strangler_proxy.store import SqliteFlagStore
>>> folder = tempfile.TemporaryDirectory()
>>> store = SqliteFlagStore(Path(folder.name) / "flags.sqlite3", create=True)
>>> _ = store.register_service("orders", ["http://127.0.0.1:8102"], actor="alice")
>>> orders = Route("orders", frozenset({"GET"}), "/api/orders/", "orders", Mode.MONOLITH)
>>> _ = store.upsert_routes([orders], actor="alice", reason="import")
>>> facts = RequestFacts("GET", "/api/orders/", "addr:127.0.0.1")

>>> watcher = TableWatcher(store)          # loads the current table once
>>> watcher.table.decide(facts).primary
'monolith'
>>> watcher.poll() is None                 # the store's version has not moved
True
>>> _ = store.set_route("orders", mode="service", actor="alice", reason="go")
>>> fresh = watcher.poll()                 # the new table, once, after a change
>>> fresh is watcher.table, fresh.decide(facts).primary
(True, 'orders')
>>> watcher.poll() is None
True
>>> store.close(); folder.cleanup()
"""

from __future__ import annotations

from strangler_proxy.registry import ServiceSpec
from strangler_proxy.routing import RouteTable
from strangler_proxy.store.base import FlagStore, Snapshot, StoreError


class TableWatcher:
    def __init__(self, store: FlagStore) -> None:
        self._store = store
        self._snapshot: Snapshot = store.snapshot()
        self.last_error: StoreError | None = None
        self.failures = 0

    @property
    def table(self) -> RouteTable:
        return self._snapshot.table

    @property
    def services(self) -> tuple[ServiceSpec, ...]:
        """The registry as of the current table (read in the same transaction)."""
        return self._snapshot.services

    @property
    def version(self) -> int:
        return self._snapshot.version

    def poll(self) -> RouteTable | None:
        """A new table when the store's version moved, else ``None``.

        A store that cannot be read (locked, disk error) keeps the current table: routing
        goes on with the last good flags, and ``last_error``/``failures`` tell the caller.
        """
        try:
            if self._store.version() == self._snapshot.version:
                self.last_error = None
                return None
            snapshot = self._store.snapshot()
        except StoreError as exc:
            self.last_error = exc
            self.failures += 1
            return None
        self.last_error = None
        self._snapshot = snapshot
        return snapshot.table
