from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from strangler_proxy.stack.process import ManagedProcess
from tests.conftest import RunningServer
from tests.extracted_services.notifications.service import (
    backfill,
    monolith_database_url,
    start_notifications,
)
from tests.extracted_services.notifications.tokens import IdP, serve_jwks

EVENTS_TOKEN = "test-events-token"


@dataclass(frozen=True)
class Notifications:
    """The running service, its var dir, and the first backfill's output."""

    process: ManagedProcess
    var_dir: Path
    first_backfill: str

    @property
    def base_url(self) -> str:
        return self.process.base_url


@pytest.fixture(scope="module")
def idp() -> Iterator[tuple[IdP, str]]:
    """A test ID provider and the URL of its JWKS."""
    provider = IdP()
    with serve_jwks(provider) as url:
        yield provider, url


@pytest.fixture(scope="module")
def notifications(
    monolith_server: RunningServer,
    idp: tuple[IdP, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Notifications]:
    """The service on its own port and database, with the monolith's templates and
    notifications copied in (read-only) before any test places an order."""
    var_dir = tmp_path_factory.mktemp("notifications")
    process = start_notifications(var_dir, EVENTS_TOKEN=EVENTS_TOKEN, JWKS_URL=idp[1])
    try:
        done = backfill(var_dir, monolith_database_url(monolith_server.env))
        assert done.returncode == 0, done.stderr
        yield Notifications(process, var_dir, done.stdout)
    finally:
        process.stop()
