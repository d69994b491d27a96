"""The stand-in service of the mitmproxy tests leaves nothing running behind it."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.strangler_proxy.mitm.conftest import start_stand_in


def stand_ins_named(name: str) -> list[int]:
    """The pids of running stand-ins called ``name``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # not a process, or gone meanwhile
            continue
        if b"stand_in.py" in b" ".join(argv) and name.encode() in argv:
            found.append(int(entry.name))
    return found


def test_a_stand_in_runs_once_and_stops_with_its_block(tmp_path: Path) -> None:
    name = f"probe-{os.getpid()}"
    with start_stand_in(name, tmp_path) as proc:
        assert httpx.get(proc.base_url + "/health/", trust_env=False).status_code == 200
        assert len(stand_ins_named(name)) == 1
    assert stand_ins_named(name) == []
