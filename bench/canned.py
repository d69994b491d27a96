"""A service that answers what the monolith answered, from a file, at almost no CPU cost: so
a benchmark measures the proxy's own work, not a second Django sharing the cores.

    python bench/canned.py PORT ANSWERS.json   # {"/path?query": [status, content_type, body]}

An unknown target gets 404. Keep-alive, no other feature (uvloop + httptools).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import cast

import httptools
import uvloop


def encode(status: int, content_type: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


class Canned(asyncio.Protocol):
    answers: dict[bytes, bytes] = {}
    missing = encode(404, "application/json", b'{"error": "not canned"}')

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_message_complete(self) -> None:
        self.transport.write(self.answers.get(self.url, self.missing))
        self.url = b""
        if not self.parser.should_keep_alive():
            self.transport.close()


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(Canned, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with open(sys.argv[2], encoding="utf-8") as file:
        raw = json.load(file)
    Canned.answers = {
        target.encode(): encode(status, kind, body.encode())
        for target, (status, kind, body) in raw.items()
    }
    Canned.answers[b"/health/"] = encode(200, "application/json", b'{"status": "ok"}')
    uvloop.run(serve(int(sys.argv[1])))
