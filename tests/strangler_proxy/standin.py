"""A stand-in upstream: a tiny real HTTP server process (an ASGI app under uvicorn).

``python -m tests.strangler_proxy.standin NAME PORT`` (PORT 0: the kernel picks one) prints
``standin NAME listening on http://127.0.0.1:PORT`` once bound (``LISTENING`` reads it) and
serves:

- ``GET /health/``            200 (``POST /_control/health/fail`` makes it answer 500,
                               ``POST /_control/health/missing`` 404, as if it had none)
- ``POST /_control/behaviour/B``  from now on every other request: ``ok`` as below, ``fail``
                               (503 after reading it), ``slow`` (200 after 3 s) or
                               ``truncate`` (a head promising 100 bytes, 3 of them, a close)
- ``GET /_received``          how many requests each ``METHOD path`` received (repeats show)
- ``GET /_seen?path=P``       the headers the last request to ``P`` came with (a shadow
                               copy's too, whose answer nobody sees); 404 before any
- ``GET /big?size=N``         N bytes streamed in 64 KiB chunks
- ``POST /upload``            reads the body streamed, answers its size and sha256
- ``GET /gzip``               a gzip body with ``Content-Encoding: gzip``
- ``GET /status/CODE``        answers CODE
- ``GET /noisy/...``          ``served_by`` and a ``nonce`` new on every answer (noise)
- ``GET .../slow?seconds=S``  answers after S seconds
- anything else               echoes JSON: served_by, method, path, query, headers, body size
"""

from __future__ import annotations

import asyncio
import collections
import gzip
import hashlib
import itertools
import json
import re
import socket
import sys
from typing import Any
from urllib.parse import parse_qs

import uvicorn

GZIP_PAYLOAD = gzip.compress(b'{"compressed": true}' * 50, mtime=0)
#: the line a stand-in prints once it listens
LISTENING = re.compile(r"^standin \S+ listening on http://127\.0\.0\.1:(?P<port>\d+)$", re.M)


class StandIn:
    def __init__(self, name: str) -> None:
        self.name = name
        self.received: collections.Counter[str] = collections.Counter()
        self.health_status = 200
        self.behaviour = "ok"
        self.nonces = itertools.count(1)
        self.seen: dict[str, dict[str, str]] = {}  # path -> the last request's headers

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        self.received[f"{method} {path}"] += 1
        echoed: dict[str, str] = {}
        for name, value in scope["headers"]:
            key, text = name.decode("latin-1"), value.decode("latin-1")
            echoed[key] = f"{echoed[key]}|{text}" if key in echoed else text
        if not path.startswith("/_"):
            self.seen[path] = echoed
        size, digest = 0, hashlib.sha256()
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            digest.update(chunk)
            if not message.get("more_body"):
                break
        if path.startswith("/_control/behaviour/"):
            self.behaviour = path.rsplit("/", 1)[1]
            await _json(send, 200, {"behaviour": self.behaviour})
        elif path == "/health/":
            await _json(send, self.health_status, {"ok": self.health_status == 200})
        elif path in ("/_control/health/fail", "/_control/health/missing"):
            self.health_status = 500 if path.endswith("/fail") else 404
            await _json(send, 200, {"ok": False})
        elif path == "/_received":
            await _json(send, 200, dict(self.received))
        elif path == "/_seen":
            seen = self.seen.get(query.get("path", ""))
            await _json(send, 200 if seen is not None else 404, seen or {})
        elif self.behaviour == "fail":
            await _json(send, 503, {"served_by": self.name, "failing": True})
        elif self.behaviour == "truncate":
            headers = [(b"content-type", b"application/json"), (b"content-length", b"100")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b'{"a', "more_body": True})
            raise ConnectionAbortedError("the stand-in dies mid-answer")  # uvicorn closes
        elif self.behaviour == "slow":
            await asyncio.sleep(3)
            await _json(send, 200, {"served_by": self.name, "slow": True})
        elif path == "/big":
            await _stream(send, int(query.get("size", "0")))
        elif path == "/upload":
            await _json(send, 200, {"bytes": size, "sha256": digest.hexdigest()})
        elif path == "/gzip":
            headers = [
                (b"content-type", b"application/json"),
                (b"content-encoding", b"gzip"),
                (b"content-length", str(len(GZIP_PAYLOAD)).encode()),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": GZIP_PAYLOAD})
        elif path.startswith("/status/"):
            await _json(send, int(path.rsplit("/", 1)[1]), {"served_by": self.name})
        elif path.startswith("/noisy/"):  # a new value on every answer: noise, as Diffy says
            await _json(send, 200, {"served_by": self.name, "nonce": next(self.nonces)})
        elif path.endswith("/slow"):
            await asyncio.sleep(float(query.get("seconds", "1")))
            await _json(send, 200, {"served_by": self.name, "slow": True})
        else:
            await _json(
                send,
                200,
                {
                    "served_by": self.name,
                    "method": method,
                    "path": path,
                    "query": scope["query_string"].decode(),
                    "headers": echoed,
                    "body_bytes": size,
                },
                extra=[(b"set-cookie", f"seen_by={self.name}; Path=/".encode())],
            )


async def _json(
    send: Any, status: int, doc: object, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(doc).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})


async def _stream(send: Any, size: int) -> None:
    headers = [(b"content-type", b"application/octet-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    block = b"x" * 65536
    left = size
    while left > 0:
        chunk = block[: min(left, len(block))]
        left -= len(chunk)
        await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
    if size == 0:
        await send({"type": "http.response.body", "body": b""})


def main(name: str, port: int) -> None:
    """Bind (port 0: any), say where, serve until SIGTERM."""
    sock = socket.create_server(("127.0.0.1", port))
    print(f"standin {name} listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(StandIn(name), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
