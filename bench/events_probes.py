"""Where ``bench.events`` sees events arrive: a stand-in subscriber (its own process: an
HTTP inbox answering ``applied`` to every event and keeping when each first arrived) and a
watch on the broker (a plain NATS subscription to ``events.>``, in a thread)."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import orjson
from nats.aio.msg import Msg

from strangler_proxy.events.jetstream import connect
from strangler_proxy.events.subscriber import Subscriber
from strangler_proxy.stack.process import ManagedProcess

ROOT = Path(__file__).resolve().parents[1]
LISTENING = re.compile(r"subscriber listening on port (?P<port>\d+)")


class _Inbox(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the relay's and deliverer's clients use
    # headers and body leave in two writes: with Nagle on, the body waits for the client's
    # delayed ACK of the headers, 40 ms on Linux, and every push would take that long
    disable_nagle_algorithm = True
    arrivals: dict[str, float] = {}
    lock = threading.Lock()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with self.lock:
            self._send(orjson.dumps(self.arrivals if self.path == "/arrivals" else {}))

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        now = time.time()
        if self.path == "/reset":
            with self.lock:
                self.arrivals.clear()
            self._send(b"{}")
            return
        ids = [event["id"] for event in orjson.loads(body)["events"]]
        with self.lock:
            for event_id in ids:
                self.arrivals.setdefault(event_id, now)
        self._send(orjson.dumps({"results": [{"id": i, "outcome": "applied"} for i in ids]}))


def serve_subscriber() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Inbox)
    server.daemon_threads = True
    print(f"subscriber listening on port {server.server_address[1]}", flush=True)
    server.serve_forever()


class StandIn:
    def __init__(self, work: Path) -> None:
        argv = [sys.executable, "-c", "from bench.events_probes import serve_subscriber as s; s()"]
        self.process = ManagedProcess(
            "subscriber", argv, health_url="http://127.0.0.1:{port}/health", cwd=ROOT,
            log_path=work / "subscriber.log", announces=LISTENING,
        ).start()  # fmt: skip
        self.base = f"http://127.0.0.1:{self.process.port}"
        self.subscriber = Subscriber("bench", f"{self.base}/internal/events/", ())

    def arrivals(self) -> dict[str, float]:
        answer: dict[str, float] = httpx.get(f"{self.base}/arrivals", trust_env=False).json()
        return answer

    def reset(self) -> None:
        httpx.post(f"{self.base}/reset", trust_env=False)


class BrokerWatch:
    """When each message reaches the broker: a plain NATS subscription to ``events.>`` (it
    sees each message published to the stream's subjects), in a thread of its own."""

    def __init__(self, broker: str) -> None:
        self._seen: dict[str, float] = {}
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._watch(broker),))
        self._thread.start()
        self._ready.wait(10)

    async def _watch(self, broker: str) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        nc = await connect(broker, name="bench-watch")

        async def seen(msg: Msg) -> None:
            self._seen.setdefault((msg.headers or {}).get("Nats-Msg-Id", ""), time.time())

        await nc.subscribe("events.>", cb=seen)
        await nc.flush()
        self._ready.set()
        await self._stop.wait()
        await nc.close()

    def arrivals(self) -> dict[str, float]:
        return dict(self._seen)

    def reset(self) -> None:
        self._seen.clear()

    def close(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
