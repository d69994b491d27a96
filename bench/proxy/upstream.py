"""A tiny fast upstream (uvloop + httptools) for when nginx is not installed: answers every
request with a small JSON body, keep-alive, no features. With ``exchange`` it is an ID
provider as fast: every request gets the same identity-exchange answer (a token), so a
benchmark measures what an exchange costs the proxy, not the signing.

    python bench/proxy/upstream.py PORT [exchange]
"""

from __future__ import annotations

import asyncio
import sys
from typing import cast

import httptools
import uvloop

BODY = b'{"ok": true, "from": "bench-upstream"}'
#: the exchange's answer (DESIGN §6), a syntactically real JWT nobody verifies here
TOKEN_BODY = (
    b'{"access": "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIiwiYXVkIjoiY2F0YWxvZyJ9.c2ln", '
    b'"expires_in": 300, "token_type": "Bearer"}'
)


def answer(body: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


KEEP_ALIVE = answer(BODY)
CLOSE = KEEP_ALIVE.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)


class Answer(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.parser = httptools.HttpRequestParser(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_message_complete(self) -> None:
        if self.parser.should_keep_alive():
            self.transport.write(KEEP_ALIVE)
        else:
            self.transport.write(CLOSE)
            self.transport.close()


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Answer, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if sys.argv[2:] == ["exchange"]:
        KEEP_ALIVE = answer(TOKEN_BODY)
        CLOSE = KEEP_ALIVE.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
    uvloop.run(serve(int(sys.argv[1])))
