"""Several workers share one socket; a worker that dies is replaced, and SIGTERM stops them
all after their drain."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx

from tests.strangler_proxy.proxy_stack import Running, proxy, until


def workers(pid: int) -> set[int]:
    """The engine's worker processes (spawned children of the supervisor)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    found = set()
    for child in map(int, children):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in cmdline:
            found.add(child)
    return found


def test_a_dead_worker_is_replaced_and_sigterm_stops_them_all(
    echo_monolith: Running, store_url: str, var_dir: Path
) -> None:
    with proxy(echo_monolith.url, store_url, var_dir, "--workers", "2") as px:
        assert px.pid is not None
        supervisor = px.pid

        def serving() -> set[int]:
            found = workers(supervisor)
            return found if len(found) == 2 else set()

        first = until(serving)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)

        def replaced() -> set[int]:
            found = serving()
            return found if victim not in found else set()

        now = until(replaced)
        assert len(now & first) == 1  # the other one kept serving
        for _ in range(20):  # a new connection each: whichever worker accepts answers
            assert httpx.get(px.url + "/anything", trust_env=False).status_code == 200
        os.kill(supervisor, signal.SIGTERM)
        assert px.stop() in (0, -signal.SIGTERM)
    assert not [pid for pid in now if Path(f"/proc/{pid}").exists()]  # drained and reaped
