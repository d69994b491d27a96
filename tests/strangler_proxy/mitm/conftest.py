"""Real mitmdump (from .venv-mitm) in reverse mode in front of the real monolith, with a
stand-in ``catalog`` service and a SQLite flag store in a tmp dir."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from strangler_proxy.routing import Mode, Route
from strangler_proxy.stack.process import ManagedProcess, free_port
from strangler_proxy.store import FlagStore, open_store
from tests.conftest import ROOT, RunningServer

MITM_BIN = ROOT / ".venv-mitm" / "bin"
ADDON = ROOT / "strangler_proxy" / "mitm" / "addon.py"
STAND_IN = Path(__file__).with_name("stand_in.py")
DETAIL = "catalog-product-detail"
REGISTER = "customers-register"
#: what mitmdump logs once bound (``--listen-port 0``: the port the kernel picked)
MITM_LISTENING = re.compile(r"listening at 127\.0\.0\.1:(?P<port>\d+)")
#: what the stand-in prints once bound
STAND_IN_LISTENING = re.compile(
    r"^stand-in \S+ listening on http://127\.0\.0\.1:(?P<port>\d+)$", re.M
)
_RUNS = itertools.count(1)


@pytest.fixture(scope="session")
def mitm_env() -> Path:
    """The bin directory of .venv-mitm, the mitmproxy engine's own environment.

    ``make mitm`` builds it (``make test`` and ``make pytest`` do so before pytest runs); a
    test never builds it: without it the mitmproxy tests fail, saying what to run.
    """
    for needed in (MITM_BIN / "mitmdump", MITM_BIN.parent / ".installed"):
        if not needed.exists():
            pytest.fail(f"{needed} is missing: run `make mitm` to build .venv-mitm", pytrace=False)
    return MITM_BIN


def mitmdump_argv(
    bin_dir: Path, tmp: Path, monolith: str, store_url: str, *extra: str, port: int = 0,
    poll_ms: int = 100,
) -> list[str]:  # fmt: skip
    """mitmdump with the strangler addon in reverse mode in front of ``monolith``."""
    return [
        str(bin_dir / "mitmdump"),
        "-s", str(ADDON),
        "--mode", f"reverse:{monolith}",
        "--listen-host", "127.0.0.1", "--listen-port", str(port),
        "--set", f"strangler_store={store_url}",
        "--set", f"strangler_poll_ms={poll_ms}",
        "--set", f"confdir={tmp / 'mitm-conf'}",
        *extra,
    ]  # fmt: skip


@contextlib.contextmanager
def mitmdump(
    bin_dir: Path, tmp: Path, monolith: str, store_url: str, *extra: str, poll_ms: int = 100,
    env: dict[str, str] | None = None,
) -> Iterator[ManagedProcess]:  # fmt: skip
    """A running mitmdump with the strangler addon on the port it picked (``.base_url``)."""
    with ManagedProcess(
        "mitmdump",
        mitmdump_argv(bin_dir, tmp, monolith, store_url, *extra, poll_ms=poll_ms),
        health_url="http://127.0.0.1:{port}/health/",
        announces=MITM_LISTENING,
        env=env,
        cwd=tmp,
        log_path=tmp / f"mitmdump-{next(_RUNS)}.log",
    ) as proc:
        yield proc


def start_stand_in(name: str, logs: Path) -> ManagedProcess:
    """``stand_in.py NAME 0``, started by ``with`` (healthy on the port it printed) and
    stopped when the block ends. (It used to be started here too: ``with`` then started a
    second one and the first was never stopped.)"""
    return ManagedProcess(
        name,
        [sys.executable, str(STAND_IN), name, "0"],
        health_url="http://127.0.0.1:{port}/health/",
        announces=STAND_IN_LISTENING,
        log_path=logs / f"{name}-{next(_RUNS)}.log",
    )


FLOW_READER = """
import json, sys
from mitmproxy import io
with open(sys.argv[1], "rb") as f:
    print(json.dumps([
        {"path": fl.request.path, "method": fl.request.method, "id": fl.id,
         "status": fl.response and fl.response.status_code, **fl.metadata["strangler"]}
        for fl in io.FlowReader(f).stream() if "strangler" in fl.metadata
    ]))
"""


def read_flows(bin_dir: Path, flows: Path) -> list[dict[str, object]]:
    """A flow file's flows (path, method, id, status and ``metadata["strangler"]``), read
    with mitmproxy in its own environment."""
    done = subprocess.run(
        [str(bin_dir / "python"), "-c", FLOW_READER, str(flows)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    found: list[dict[str, object]] = json.loads(done.stdout)
    return found


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The ``catalog`` stand-in service; yields its base URL."""
    with start_stand_in("catalog", tmp_path_factory.mktemp("stand-in")) as proc:
        yield proc.base_url


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory, stand_in: str) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('flags') / 'flags.sqlite3'}"
    store = open_store(url, create=True)
    store.register_service("catalog", [stand_in], actor="test")
    store.register_service("dead", [f"http://127.0.0.1:{free_port()}"], actor="test")  # refuses
    get = frozenset({"GET"})
    store.upsert_routes(
        [
            Route(DETAIL, get, "/api/catalog/products/{pk:int}/", None, Mode.MONOLITH),
            Route("catalog-products", get, "/api/catalog/products/", None, Mode.MONOLITH),
            Route(REGISTER, frozenset({"POST"}), "/api/auth/register/", None, Mode.MONOLITH),
        ],
        actor="test",
        reason="fixture",
    )
    store.close()
    yield url


@pytest.fixture
def store(store_url: str) -> Iterator[FlagStore]:
    store = open_store(store_url)
    yield store
    store.close()


@pytest.fixture(scope="module")
def proxy(
    mitm_env: Path,
    monolith_server: RunningServer,
    store_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """mitmdump in front of the monolith; yields its base URL."""
    tmp = tmp_path_factory.mktemp("mitm")
    with mitmdump(mitm_env, tmp, monolith_server.base_url, store_url) as proc:
        yield proc.base_url
