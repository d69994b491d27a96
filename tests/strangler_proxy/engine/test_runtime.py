"""The store poll never blocks the event loop: a store that takes its time (a remote
PostgreSQL behind a slow network) is read in a thread while the loop goes on serving."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from strangler_proxy.engine.runtime import build_engine
from strangler_proxy.engine.settings import EngineSettings
from strangler_proxy.store import open_store
from strangler_proxy.store.sqlite import SqliteFlagStore
from tests.strangler_proxy.proxy_stack import route, seed


class SlowStore(SqliteFlagStore):
    """A real SQLite store whose ``version()`` says it was ``asked``, then waits until
    ``answer`` is set (at most 5 s)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.asked = threading.Event()
        self.answer = threading.Event()
        self.answered_in_time = False

    def version(self) -> int:
        self.asked.set()
        self.answered_in_time = self.answer.wait(5.0)
        return super().version()


def test_a_slow_store_poll_leaves_the_loop_serving(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    writer = open_store(url, create=True)
    seed(writer, {}, [route("home", "/home")])
    slow = SlowStore(tmp_path / "flags.sqlite3")
    engine = build_engine(EngineSettings(monolith_url="http://127.0.0.1:9"), store=slow)
    seed(writer, {}, [route("about", "/about")])  # the table moves: the next poll swaps it

    async def scenario() -> bool:
        polling = asyncio.create_task(engine.refresh())
        async with asyncio.timeout(5):  # the loop runs while the poll waits for the store...
            while not slow.asked.is_set():
                await asyncio.sleep(0.01)
        slow.answer.set()  # ...and it is the loop that lets the store answer
        return await polling

    assert asyncio.run(scenario()) is True
    assert slow.answered_in_time  # not the 5 s timeout: the loop was free all along
    assert engine.tables.table.get("about") is not None
    slow.close()
    writer.close()
