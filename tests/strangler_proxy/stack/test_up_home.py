"""`strangler up` keeps its state in its var dir: nothing lands in the user's home but the
analyzer's cache (``~/.cache/strangler``, shared on purpose: it is keyed by the source and
never read as state). gunicorn's control socket used to land in ``~/.gunicorn/``, one path
shared by every stack of a user (the monolith now runs with ``--no-control-socket``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from strangler_proxy.stack.process import free_port
from tests.strangler_proxy.proxy_stack import until

STRANGLER = Path(sys.executable).parent / "strangler"
READY = "strangler traffic --target"  # the last line of the welcome


@pytest.mark.slow
def test_up_writes_nothing_in_home_but_the_analyzer_cache(tmp_path: Path) -> None:
    home, var, log = tmp_path / "home", tmp_path / "var", tmp_path / "up.log"
    home.mkdir()
    ports: set[int] = set()
    while len(ports) < 3:
        ports.add(free_port())
    monolith, proxy, admin = (str(port) for port in sorted(ports))
    env = {
        k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "STRANGLER_CACHE_DIR")
    }
    env["HOME"] = str(home)
    argv = [str(STRANGLER), "up", "--monolith-port", monolith, "--proxy-port", proxy]
    argv += ["--admin-port", admin, "--seed-size", "tiny", "--var-dir", str(var)]
    with open(log, "w") as out:
        up = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        until(lambda: READY in log.read_text() or up.poll() is not None, timeout=120)
        assert READY in log.read_text(), log.read_text()
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(60)
    assert "stack stopped" in log.read_text()
    found = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.parent == home
                   or p.parent == home / ".cache")  # fmt: skip
    assert found == [".cache", ".cache/strangler"], found
    assert "Control socket" not in (var / "logs" / "monolith.log").read_text()
    assert (var / "flags.sqlite3").is_file() and (var / "admin.token").is_file()
