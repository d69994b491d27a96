"""A real admin API process (``python -m strangler_proxy.admin``) on a free loopback port."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from strangler_proxy.routing import Mode, Route
from strangler_proxy.stack.process import ManagedProcess, free_port
from strangler_proxy.store import SqliteFlagStore

TOKEN = "cli-test-token-0123456789"


@dataclass(frozen=True)
class RunningAdmin:
    url: str
    store_path: Path

    def store(self) -> SqliteFlagStore:
        return SqliteFlagStore(self.store_path)


@pytest.fixture
def running_admin(tmp_path: Path) -> Iterator[RunningAdmin]:
    store_path = tmp_path / "flags.sqlite3"
    with SqliteFlagStore(store_path) as store:
        store.register_service("catalog", ["http://127.0.0.1:8101"], actor="setup")
        store.upsert_routes(
            [
                Route(
                    "product-list",
                    frozenset({"GET", "POST"}),
                    "/api/catalog/products/",
                    "catalog",
                    Mode.MONOLITH,
                ),
                Route(
                    "product-detail",
                    frozenset({"GET"}),
                    "/api/catalog/products/{pk}/",
                    None,
                    Mode.MONOLITH,
                ),
            ],
            actor="setup",
            reason="seed",
        )
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "strangler_proxy.admin",
        "--store",
        f"sqlite:///{store_path}",
        "--port",
        str(port),
    ]
    with ManagedProcess(
        "admin",
        argv,
        health_url=f"http://127.0.0.1:{port}/health",
        env={"STRANGLER_ADMIN_TOKEN": TOKEN},
        log_path=tmp_path / "admin.log",
    ):
        yield RunningAdmin(f"http://127.0.0.1:{port}", store_path)
