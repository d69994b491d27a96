from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from strangler_proxy.stack.process import ManagedProcess
from tests.conftest import RunningServer
from tests.extracted_services.catalog.service import backfill, staff_token, start_catalog


@dataclass(frozen=True)
class Catalog:
    """The running service, its var dir, and the first backfill's output."""

    process: ManagedProcess
    var_dir: Path
    token: str
    first_backfill: str

    @property
    def base_url(self) -> str:
        return self.process.base_url


@pytest.fixture(scope="module")
def catalog(
    monolith_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Catalog]:
    """The catalog service on its own port and database, backfilled from the monolith."""
    var_dir = tmp_path_factory.mktemp("catalog")
    process = start_catalog(var_dir, monolith_server.base_url)
    try:
        token = staff_token(monolith_server.base_url)
        done = backfill(var_dir, monolith_server.base_url, token)
        assert done.returncode == 0, done.stderr
        yield Catalog(process, var_dir, token, done.stdout)
    finally:
        process.stop()
