"""Start the real pieces of a proxy stack on loopback: stand-in upstreams, the flag store and
``strangler proxy run`` itself, each on a free port, each stopped by its context manager.

>>> with standin("catalog", tmp) as catalog, proxy(monolith.url, store_url, tmp) as px:
...     httpx.get(px.url + "/api/catalog/products/")
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from strangler_proxy.routing import Mode, Route
from strangler_proxy.stack.process import ManagedProcess
from strangler_proxy.store import FlagStore
from tests.ports import started_on_a_free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
T = TypeVar("T")


class Running(ManagedProcess):
    url: str
    port: int


@contextlib.contextmanager
def standin(name: str, var_dir: Path, port: int | None = None) -> Iterator[Running]:
    """The stand-in upstream (tests/strangler_proxy/standin.py) as its own process."""

    def make(port: int) -> Running:
        proc = Running(
            name,
            [sys.executable, "-m", "tests.strangler_proxy.standin", name, str(port)],
            health_url=f"http://127.0.0.1:{port}/health/",
            cwd=ROOT,
            log_path=var_dir / f"{name}-{port}.log",
        )
        proc.url, proc.port = f"http://127.0.0.1:{port}", port
        return proc

    if port:  # asked for (a restart on the same address): no other port will do
        with make(port) as proc:
            yield proc  # type: ignore[misc]  # ManagedProcess.__enter__ returns the base type
    else:
        with started_on_a_free_port(make) as proc:
            yield proc


@contextlib.contextmanager
def proxy(
    monolith_url: str,
    store_url: str,
    var_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    health_path: str = "/health/",
) -> Iterator[Running]:
    """``strangler proxy run`` in front of ``monolith_url``; healthy once it forwards."""

    def make(port: int) -> Running:
        argv = [
            str(BIN / "strangler"), "proxy", "run",
            "--listen", f"127.0.0.1:{port}",
            "--monolith", monolith_url,
            "--store", store_url,
            *args,
        ]  # fmt: skip
        proc = Running(
            "proxy",
            argv,
            health_url=f"http://127.0.0.1:{port}{health_path}",
            env=env,
            cwd=ROOT,
            log_path=var_dir / f"proxy-{port}.log",
            stop_timeout=15.0,
        )
        proc.url, proc.port = f"http://127.0.0.1:{port}", port
        return proc

    with started_on_a_free_port(make) as proc:
        yield proc


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


def until(check: Callable[[], T], timeout: float = 5.0, every: float = 0.05) -> T:
    """``check()`` once it returns something truthy; AssertionError after ``timeout``."""
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
