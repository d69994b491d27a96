"""The relay as a real process (``python -m strangler_proxy.cli.events_relay``), for tests.

with running_relay(tmp_path, [f"monolith={url}"], broker=nats.url) as relay:
    ...
    relay.kill()                  # SIGKILL, mid-stream
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from strangler_proxy.stack.process import ManagedProcess

READY = re.compile(r"^relay ready: ", re.M)


def relay_process(
    folder: Path,
    sources: Sequence[str],
    *,
    broker: str = "embedded",
    subscribers: Sequence[str] = (),
    token_file: Path | None = None,
    extra: Sequence[str] = (),
) -> ManagedProcess:
    """A relay, not started yet (``.start()`` waits for its "relay ready" line)."""
    argv = [sys.executable, "-m", "strangler_proxy.cli.events_relay", "--broker", broker]
    for source in sources:
        argv += ["--source", source]
    for subscriber in subscribers:
        argv += ["--subscriber", subscriber]
    if token_file is not None:
        argv += ["--token-file", str(token_file)]
    argv += ["--dead-letters", f"sqlite:///{folder / 'dead-letters.sqlite3'}", *extra]
    return ManagedProcess(
        "relay",
        argv,
        health_url=None,
        log_path=folder / "relay.log",
        announces=READY,
        start_timeout=20,
    )


@contextlib.contextmanager
def running_relay(
    folder: Path, sources: Sequence[str], **options: object
) -> Iterator[ManagedProcess]:
    relay = relay_process(folder, sources, **options).start()  # type: ignore[arg-type]
    try:
        yield relay
    finally:
        relay.stop()


def kill(process: ManagedProcess) -> None:
    """SIGKILL, as a crash would."""
    if process.pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.stop()
