"""A drifting "service" (``drifting.py``) in front of the session's real monolith, and the
mitmproxy environment for recording flow files."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from strangler_proxy.stack.process import ManagedProcess
from tests.conftest import RunningServer
from tests.strangler_proxy.mitm.conftest import mitm_env  # noqa: F401 (a fixture here too)
from tests.strangler_proxy.replay.drifting import LISTENING

ROOT = Path(__file__).resolve().parents[3]


@contextlib.contextmanager
def drifting(monolith_url: str, var_dir: Path) -> Iterator[ManagedProcess]:
    argv = [sys.executable, "-m", "tests.strangler_proxy.replay.drifting", monolith_url, "0"]
    with ManagedProcess(
        "drifting",
        argv,
        health_url="http://127.0.0.1:{port}/health/",
        announces=LISTENING,
        cwd=ROOT,
        log_path=var_dir / "drifting.log",
    ) as proc:
        yield proc


@pytest.fixture(scope="module")
def service(
    monolith_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with drifting(monolith_server.base_url, tmp_path_factory.mktemp("drifting")) as proc:
        yield proc.base_url
