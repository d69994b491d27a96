"""``ManagedProcess`` as a context manager: what the block started, the block stops."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from strangler_proxy.stack.process import ManagedProcess

READY = re.compile(r"ready (?P<port>\d+)")


def sleeper(tmp_path: Path) -> ManagedProcess:
    code = "import time; print('ready 1', flush=True); time.sleep(300)"
    argv = [sys.executable, "-c", code]
    return ManagedProcess(
        "sleeper", argv, health_url=None, announces=READY, log_path=tmp_path / "s.log"
    )


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_started_process_in_a_with_block_is_not_started_twice(tmp_path: Path) -> None:
    started = sleeper(tmp_path).start()  # as the tests' start_catalog() and co. return it
    first = started.pid
    with started as same:
        assert same.pid == first
    assert first is not None and not started.running()
    assert gone(first)


def test_a_with_block_starts_and_stops_an_unstarted_process(tmp_path: Path) -> None:
    with sleeper(tmp_path) as running:
        pid = running.pid
        assert pid is not None and running.running()
    assert gone(pid)
