"""Start the real pieces of a proxy stack on loopback: stand-in upstreams, the flag store and
``strangler proxy run`` itself, each on a port the kernel picks (port 0: the child prints
which), each stopped by its context manager.

For example (every engine test does this)::

    with standin("catalog", tmp) as catalog, proxy(monolith.url, store_url, tmp) as px:
        httpx.get(px.url + "/api/catalog/products/")

(Skipped as a doctest: it needs a running monolith; every engine test runs it for real.)
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal, TypeVar

from strangler_proxy.engine.server import LISTENING
from strangler_proxy.routing import Mode, Route
from strangler_proxy.stack.process import ManagedProcess
from strangler_proxy.store import FlagStore
from tests.strangler_proxy.standin import LISTENING as STANDIN_LISTENING

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
T = TypeVar("T")


class Running(ManagedProcess):
    """A started child that serves HTTP on the port it was given or announced."""

    @property
    def url(self) -> str:
        return self.base_url

    @property
    def admin_url(self) -> str:
        """The proxy's admin API (started with ``--admin-listen 127.0.0.1:0``)."""
        if "admin_port" not in self.announced:
            raise ValueError(f"{self.name} announced no admin port (no --admin-listen?)")
        return f"http://127.0.0.1:{self.announced['admin_port']}"


@contextlib.contextmanager
def standin(name: str, var_dir: Path, port: int | None = None) -> Iterator[Running]:
    """The stand-in upstream (tests/strangler_proxy/standin.py) as its own process, on the
    port the kernel picks (it prints it), or on ``port`` (a restart on the same address)."""
    argv = [sys.executable, "-m", "tests.strangler_proxy.standin", name, str(port or 0)]
    with Running(
        name,
        argv,
        health_url=f"http://127.0.0.1:{port or '{port}'}/health/",
        announces=None if port else STANDIN_LISTENING,
        cwd=ROOT,
        log_path=var_dir / f"{name}-{port or 'any'}.log",
    ) as proc:
        yield proc  # type: ignore[misc]  # ManagedProcess.__enter__ returns the base type


@contextlib.contextmanager
def proxy(
    monolith_url: str,
    store_url: str,
    var_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    health_path: str = "/health/",
) -> Iterator[Running]:
    """``strangler proxy run --listen 127.0.0.1:0`` in front of ``monolith_url``: the port it
    reports (``LISTENING``), healthy once it forwards. Pass ``--admin-listen 127.0.0.1:0``
    in ``args`` for an admin API (``.admin_url``)."""
    argv = [
        str(BIN / "strangler"), "proxy", "run",
        "--listen", "127.0.0.1:0",
        "--monolith", monolith_url,
        "--store", store_url,
        *args,
    ]  # fmt: skip
    with Running(
        "proxy",
        argv,
        health_url="http://127.0.0.1:{port}" + health_path,
        announces=LISTENING,
        env=env,
        cwd=ROOT,
        log_path=var_dir / f"proxy-{next(_RUNS)}.log",
        stop_timeout=15.0,
    ) as proc:
        yield proc  # type: ignore[misc]


_RUNS = itertools.count(1)


def route(
    route_id: str,
    template: str,
    mode: Mode = Mode.MONOLITH,
    service: str | None = None,
    percent: int = 0,
    methods: Sequence[str] = (),
) -> Route:
    return Route(route_id, frozenset(methods), template, service, mode, percent)


def seed(store: FlagStore, services: dict[str, list[str]], routes: Sequence[Route]) -> None:
    """Register services, then upsert the routes (one audited change each)."""
    for name, urls in services.items():
        store.register_service(name, urls, actor="test", reason="test setup")
    store.upsert_routes(routes, actor="test", reason="test setup")


def until(
    check: Callable[[], T | Literal[False] | None], timeout: float = 5.0, every: float = 0.05
) -> T:
    """``check()`` once it returns something truthy (so not None, not False); AssertionError
    after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {result!r})")
        time.sleep(every)


def rss_peak_kib(pid: int) -> int:
    """The peak resident set size of a process (VmHWM), KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for pid {pid}")
