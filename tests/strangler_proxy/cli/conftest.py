"""A real admin API process (``python -m strangler_proxy.admin``) on a free loopback port."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from strangler_proxy.admin.__main__ import LISTENING
from strangler_proxy.routing import Mode, Route
from strangler_proxy.stack.process import ManagedProcess
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
    with SqliteFlagStore(store_path, create=True) as store:
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
    argv = [sys.executable, "-m", "strangler_proxy.admin", "--store", f"sqlite:///{store_path}"]
    with ManagedProcess(
        "admin",
        [*argv, "--port", "0"],
        health_url="http://127.0.0.1:{port}/health",
        announces=LISTENING,
        env={"STRANGLER_ADMIN_TOKEN": TOKEN},
        log_path=tmp_path / "admin.log",
    ) as admin:
        yield RunningAdmin(admin.base_url, store_path)
