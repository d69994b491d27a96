"""What the delivery tests share: the stand-in subscriber process and events to send."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from strangler_proxy.events.envelope import Event, format_time
from strangler_proxy.events.jetstream import (
    Outgoing,
    acked_prefix,
    connect,
    ensure_stream,
    publish_batch,
)
from strangler_proxy.events.subscriber import Subscriber
from strangler_proxy.stack.process import ManagedProcess
from tests.strangler_proxy.events.inbox_standin import LISTENING

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "events-token-for-tests"


class StandInSubscriber:
    """The stand-in inbox (``inbox_standin``) as a process: start, SIGKILL, restart on the
    same port with the same database (what it applied survives)."""

    def __init__(self, tmp: Path, name: str = "catalog", topics: tuple[str, ...] = ()) -> None:
        self.name, self.topics, self.tmp = name, topics, tmp
        self.port = 0
        self.process: ManagedProcess | None = None

    def start(self) -> StandInSubscriber:
        argv = [sys.executable, "-m", "tests.strangler_proxy.events.inbox_standin",
                "--name", self.name, "--db", str(self.tmp / f"{self.name}-inbox.sqlite3"),
                "--token", TOKEN, "--port", str(self.port)]  # fmt: skip
        self.process = ManagedProcess(
            f"{self.name} inbox", argv, health_url="http://127.0.0.1:{port}/health/",
            cwd=ROOT, log_path=self.tmp / f"{self.name}-inbox.log", announces=LISTENING,
        ).start()  # fmt: skip
        self.port = self.process.port
        return self

    def kill(self) -> None:
        """SIGKILL, mid-whatever-it-was-doing."""
        assert self.process is not None
        sigkill(self.process)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/internal/events/"

    @property
    def subscriber(self) -> Subscriber:
        return Subscriber(self.name, self.url, self.topics)

    @property
    def spec(self) -> str:
        return f"{self.name}={self.url}" + (f":{','.join(self.topics)}" if self.topics else "")

    def mode(self, mode: str) -> None:
        httpx.post(f"http://127.0.0.1:{self.port}/_control/mode/{mode}", trust_env=False)

    def headers(self) -> dict[str, Any]:
        """The headers of each event the inbox received, by event id."""
        answer = httpx.get(f"http://127.0.0.1:{self.port}/_headers", trust_env=False)
        return dict(answer.json())

    def applied(self) -> list[list[Any]]:
        answer = httpx.get(f"http://127.0.0.1:{self.port}/_applied", trust_env=False)
        return list(answer.json())


def sigkill(process: ManagedProcess) -> None:
    """``kill -9`` the process (its whole group) and reap it."""
    if process.pid is not None and process.running():
        os.killpg(process.pid, signal.SIGKILL)
    process.stop()


@contextmanager
def stand_in(
    tmp: Path, name: str = "catalog", topics: tuple[str, ...] = ()
) -> Iterator[StandInSubscriber]:
    subscriber = StandInSubscriber(tmp, name, topics).start()
    try:
        yield subscriber
    finally:
        subscriber.stop()


def event(key: str = "12", version: int = 1, kind: str = "product", **payload: Any) -> Event:
    """A ``<kind>.upserted`` event of entity ``key`` at ``version`` (origin monolith)."""
    return Event(
        id=str(uuid.uuid4()), aggregatetype=kind, aggregateid=key, type=f"{kind}.upserted",
        version=version, origin="monolith", timestamp=format_time(datetime.now(UTC)),
        payload={"id": key, **payload},
    )  # fmt: skip


DELIVERER_READY = re.compile(r"^deliverer ready: ", re.M)
STRANGLER = str(Path(sys.executable).parent / "strangler")


class DelivererProcess:
    """``strangler events deliver`` as a real process, restartable after a SIGKILL."""

    def __init__(
        self, tmp: Path, broker: str, specs: Sequence[str], *extra: str, token: str = TOKEN
    ) -> None:
        token_file = tmp / "events.token"
        token_file.write_text(token + "\n")
        self.dead_letters = f"sqlite:///{tmp / 'dead-letters.sqlite3'}"
        self.argv = [STRANGLER, "events", "deliver", "--broker", broker,
                     "--token-file", str(token_file), "--dead-letters", self.dead_letters,
                     *(a for spec in specs for a in ("--subscriber", spec)), *extra]  # fmt: skip
        self.log_path = tmp / "deliverer.log"
        self.process: ManagedProcess | None = None
        self.exit_code: int | None = None

    def start(self) -> DelivererProcess:
        self.process = ManagedProcess(
            "deliverer", self.argv, health_url=None, cwd=ROOT, log_path=self.log_path,
            announces=DELIVERER_READY, start_timeout=20,
        ).start()  # fmt: skip
        return self

    def kill(self) -> None:
        assert self.process is not None
        sigkill(self.process)

    def stop(self) -> None:
        """SIGTERM (what Ctrl-C does): it finishes its round and exits; ``exit_code``."""
        if self.process is not None:
            self.exit_code = self.process.stop()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def delivering(
    tmp: Path, broker: str, specs: Sequence[str], *extra: str, token: str = TOKEN
) -> Iterator[DelivererProcess]:
    process = DelivererProcess(tmp, broker, specs, *extra, token=token).start()
    try:
        yield process
    finally:
        process.stop()


def publish(url: str, events: Sequence[Event | Outgoing | tuple[str, str, bytes]]) -> None:
    """Publish ``events`` to the EVENTS stream in order (a tuple: subject, msg id, raw body;
    an ``Outgoing``: with headers of its own)."""

    async def run() -> None:
        nc = await connect(url)
        try:
            js = nc.jetstream()
            await ensure_stream(js)
            batch = [
                e if isinstance(e, Outgoing)
                else Outgoing(*e) if isinstance(e, tuple)
                else Outgoing(e.subject, e.id, e.to_json())
                for e in events
            ]  # fmt: skip
            assert acked_prefix(await publish_batch(js, batch)) == len(batch)
        finally:
            await nc.close()

    asyncio.run(run())


def versions_by_key(applied: list[list[Any]]) -> dict[str, list[int]]:
    """The versions applied per entity key, in applying order."""
    found: dict[str, list[int]] = {}
    for _, _, key, version in applied:
        found.setdefault(key, []).append(version)
    return found
