"""A real ``nats-server`` with JetStream for the event tests: its own free port and store
directory, and it can be killed with SIGKILL and started again on the same port and store
(the clients reconnect to the same URL; the stream and its dedupe window survive).

    with running_nats(tmp_path / "nats") as broker:
        relay_to(broker.url)
        broker.kill()        # SIGKILL, mid-stream
        broker.start()       # same port, same store
        assert len(stream_messages(broker.url)) == 100

The first start asks the server for a port of its own choosing (``-p -1``) and reads it from
its log, so there is no race with other processes for it; a restart needs the same port
(the clients know that URL), taken again at once after the kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.js.errors import NotFoundError

from strangler_proxy.events.jetstream import MSG_ID, STREAM
from strangler_proxy.stack.process import ManagedProcess, ProcessFailed

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
#: the server has bound its client port and JetStream is up
READY = re.compile(r"client connections on [^\s:]+:(?P<port>\d+).*?Server is ready", re.S)


class NatsServer:
    """One ``nats-server -js`` on loopback, its files under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.store_dir = folder / "store"
        self.log_path = folder / "nats-server.log"
        self.port = -1  # -1: the server picks (first start), then always that one
        self._proc: ManagedProcess | None = None

    @property
    def url(self) -> str:
        if self.port < 0:
            raise ValueError("the broker has not started yet, so it has no port")
        return f"nats://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        store, port = str(self.store_dir), str(self.port)
        return [NATS_SERVER, "-js", "-sd", store, "-a", "127.0.0.1", "-p", port]

    def start(self, attempts: int = 20) -> NatsServer:
        """Start it (again: same port, same store); ProcessFailed when it cannot."""
        for attempt in range(attempts):
            proc = ManagedProcess(
                "nats-server",
                self.argv(),
                health_url=None,
                log_path=self.log_path,
                announces=READY,
                start_timeout=20,
            )
            try:
                proc.start()
            except ProcessFailed as exc:
                taken = "address already in use" in str(exc).lower()
                if taken and attempt + 1 < attempts:
                    time.sleep(0.25)  # our port, still held a moment after a kill: retry
                    continue
                raise
            self.port = int(proc.announced["port"])
            self._proc = proc
            return self
        raise AssertionError("unreachable")

    def kill(self) -> None:
        """SIGKILL, as a crash would (no shutdown, no flush)."""
        proc = self._proc
        if proc is None or proc.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stop()
        self._proc = None

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.stop()
            self._proc = None

    def running(self) -> bool:
        return self._proc is not None and self._proc.running()


@contextlib.contextmanager
def running_nats(folder: Path) -> Iterator[NatsServer]:
    """A started ``NatsServer`` for a ``with`` block: stopped when it ends."""
    server = NatsServer(folder).start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Stored:
    """One message of the ``EVENTS`` stream."""

    seq: int
    subject: str
    msg_id: str
    body: bytes
    headers: dict[str, str]


def stream_messages(url: str, stream: str = STREAM) -> list[Stored]:
    """Every message of ``stream`` at the broker ``url``, in stream order ([] when the stream
    does not exist yet)."""
    return asyncio.run(_read_stream(url, stream))


async def _read_stream(url: str, stream: str) -> list[Stored]:
    nc = await nats.connect(servers=[url], allow_reconnect=False, connect_timeout=3)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            return []
        found: list[Stored] = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(stream, seq)
            assert msg.subject is not None and msg.seq is not None
            headers = dict(msg.headers or {})
            found.append(Stored(msg.seq, msg.subject, headers[MSG_ID], msg.data or b"", headers))
        return found
    finally:
        await nc.close()


def wait_until(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    """Poll ``condition()`` until it is true; AssertionError naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)
