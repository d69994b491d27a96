"""Both sides' databases as `strangler up` leaves them: the real monolith (migrated, seeded
``tiny``) and the catalog service backfilled from it through its API. Made once per session,
the processes then stopped; each test gets its own copies (``sides``) to change by SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import monolith_env, prepare_monolith_db, start_monolith
from tests.extracted_services.catalog.service import backfill, staff_token, start_catalog


@dataclass(frozen=True)
class Sides:
    """A var dir laid out as `strangler up`'s: ``monolith.sqlite3``, ``catalog/catalog.sqlite3``."""

    var_dir: Path

    @property
    def monolith(self) -> Path:
        return self.var_dir / "monolith.sqlite3"

    @property
    def service(self) -> Path:
        return self.var_dir / "catalog" / "catalog.sqlite3"

    def sql(self, side: str, statement: str, *args: object) -> int:
        """Run one write on ``monolith`` or ``service``; how many rows it changed."""
        with sqlite3.connect(self.monolith if side == "monolith" else self.service) as conn:
            return conn.execute(statement, args).rowcount

    def one(self, side: str, query: str, *args: object) -> tuple[object, ...]:
        with sqlite3.connect(self.monolith if side == "monolith" else self.service) as conn:
            row = conn.execute(query, args).fetchone()
        assert row is not None, query
        return tuple(row)


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Sides:
    """The monolith and the service right after the backfill (both stopped)."""
    sides = Sides(tmp_path_factory.mktemp("reconcile-var"))
    env = monolith_env(sides.var_dir)
    prepare_monolith_db(env)
    monolith = start_monolith(sides.var_dir, env, workers=1)
    try:
        catalog = start_catalog(sides.service.parent)
        try:
            done = backfill(sides.service.parent, monolith.base_url, staff_token(monolith.base_url))
            assert done.returncode == 0, done.stderr
        finally:
            catalog.stop()
    finally:
        monolith.stop()
    return sides


@pytest.fixture
def sides(pristine: Sides, tmp_path: Path) -> Iterator[Sides]:
    """Copies of both databases (SQLite's backup API: the WAL is folded in) for one test."""
    mine = Sides(tmp_path / "var")
    for source, target in ((pristine.monolith, mine.monolith), (pristine.service, mine.service)):
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        src.close()
        dst.close()
    yield mine
