"""``strangler proxy run`` in front of a monolith that does not answer its health URL starts
anyway (the monolith may come later) and says so: one line on standard error naming the
monolith, its health URL and what failed. Its 502s then name the monolith, with the routing
headers and the request id. Real processes: the installed command, a stand-in monolith."""

from __future__ import annotations

import contextlib
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from strangler_proxy.engine.server import LISTENING
from strangler_proxy.store import open_store
from tests.envelope import error_of
from tests.strangler_proxy.proxy_stack import BIN, ROOT, standin


@dataclass
class Started:
    url: str  # where the proxy serves
    stderr: str = ""  # all it wrote there, once stopped


@contextlib.contextmanager
def proxy_run(monolith: str, tmp: Path) -> Iterator[Started]:
    """The installed ``strangler proxy run`` on a port the kernel picks, until the block ends
    (then ``stderr`` holds what it wrote there)."""
    store = f"sqlite:///{tmp / 'flags.sqlite3'}"
    open_store(store, create=True).close()
    argv = [str(BIN / "strangler"), "proxy", "run", "--listen", "127.0.0.1:0",
            "--monolith", monolith, "--store", store]  # fmt: skip
    with subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        output = ""
        while (found := LISTENING.search(output)) is None:
            line = proc.stdout.readline()
            assert line, f"exited before listening: {output}"
            output += line
        started = Started(f"http://127.0.0.1:{found['port']}")
        try:
            yield started
        finally:
            proc.terminate()
            started.stderr = proc.communicate(timeout=20)[1]


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "warning" in line]


def test_a_dead_monolith_is_a_warning_at_start_and_named_in_each_502(tmp_path: Path) -> None:
    with socket.socket() as reserved:  # bound, not listening: connections to it are refused
        reserved.bind(("127.0.0.1", 0))
        monolith = f"http://127.0.0.1:{reserved.getsockname()[1]}"
        with proxy_run(monolith, tmp_path) as px:
            answer = httpx.get(px.url + "/api/catalog/products/", trust_env=False)
    assert warnings(px.stderr) == [
        f"strangler proxy: warning: the monolith at {monolith} does not answer its health URL "
        f"{monolith}/health/ (ConnectError: [Errno 111] Connection refused); starting anyway: "
        "requests it should answer get a 502 until it does"
    ]
    error = error_of(answer.content, 502)
    assert error["message"] == f"upstream monolith at {monolith} refused the connection"
    assert error["request_id"] == answer.headers["x-request-id"]
    assert answer.headers["x-strangler-served-by"] == "monolith"


def test_a_monolith_without_its_health_url_is_a_warning(tmp_path: Path) -> None:
    with standin("monolith", tmp_path) as monolith:
        httpx.post(monolith.url + "/_control/health/missing", trust_env=False)
        with proxy_run(monolith.url, tmp_path) as px:
            answer = httpx.get(px.url + "/anything", trust_env=False)
    assert (answer.status_code, answer.json()["served_by"]) == (200, "monolith")
    (warning,) = warnings(px.stderr)
    assert f"{monolith.url}/health/ (it answered HTTP 404)" in warning


def test_a_healthy_monolith_starts_without_a_warning(tmp_path: Path) -> None:
    with standin("monolith", tmp_path) as monolith, proxy_run(monolith.url, tmp_path) as px:
        pass
    assert warnings(px.stderr) == []
