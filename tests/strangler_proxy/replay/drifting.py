"""A "service" that drifts from the monolith on purpose: a real process forwarding to it.

``python -m tests.strangler_proxy.replay.drifting MONOLITH_URL PORT`` (PORT 0: the kernel
picks) prints ``drifting listening on http://127.0.0.1:PORT`` and answers every request with
the monolith's answer, changed the ways an extracted service drifts:

- ``/api/catalog/products/``: the ``results`` list reversed (a reordered list);
- ``/api/catalog/products/{id}/``: ``name`` renamed to ``title`` (a renamed field);
- ``/api/catalog/categories/``: ``count`` one too many (a wrong total);
- ``/api/reviews/``: every ``created_at`` in another format of the same instant (a timestamp);
Anything else passes unchanged.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from strangler_proxy.stack.process import ManagedProcess

LISTENING = re.compile(r"^drifting listening on http://127\.0\.0\.1:(?P<port>\d+)$", re.M)
PRODUCT = re.compile(r"^/api/catalog/products/\d+/$")


def drift(path: str, document: Any) -> Any:
    if not isinstance(document, dict):
        return document
    if path == "/api/catalog/products/":
        document["results"] = list(reversed(document["results"]))
    elif PRODUCT.match(path) and "name" in document:
        document["title"] = document.pop("name")
    elif path == "/api/catalog/categories/":
        document["count"] += 1
    elif path == "/api/reviews/":
        for review in document["results"]:
            moment = datetime.fromisoformat(review["created_at"])
            review["created_at"] = moment.strftime("%Y-%m-%dT%H:%M:%S.%f%z")
    return document


class Drifting:
    def __init__(self, monolith: str) -> None:
        self.client = httpx.AsyncClient(base_url=monolith)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k != b"host"]
        query = scope["query_string"].decode()
        answer = await self.client.request(
            scope["method"],
            scope["path"] + (f"?{query}" if query else ""),
            headers=headers,
            content=body,
        )
        content = answer.content
        if answer.headers.get("content-type", "").startswith("application/json") and content:
            document = drift(scope["path"], json.loads(content))
            content = json.dumps(document).encode()
        hop = {
            "content-length",
            "transfer-encoding",
            "connection",
            "date",
            "server",
            "content-encoding",
        }
        out = [(k, v) for k, v in answer.headers.raw if k.decode().lower() not in hop]
        await send({"type": "http.response.start", "status": answer.status_code, "headers": out})
        await send({"type": "http.response.body", "body": content})


@contextlib.contextmanager
def drifting(monolith_url: str, var_dir: Path) -> Iterator[ManagedProcess]:
    argv = [sys.executable, "-m", "tests.strangler_proxy.replay.drifting", monolith_url, "0"]
    with ManagedProcess(
        "drifting",
        argv,
        health_url="http://127.0.0.1:{port}/health/",
        announces=LISTENING,
        cwd=Path(__file__).resolve().parents[3],
        log_path=var_dir / "drifting.log",
    ) as proc:
        yield proc


def main() -> None:
    monolith, port = sys.argv[1], int(sys.argv[2])
    sock = socket.create_server(("127.0.0.1", port))
    print(f"drifting listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(Drifting(monolith), log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
