"""Raw HTTP/1.1 over a socket, and nginx as the reference reverse proxy, for the
conformance table (``test_conformance.py``).

    answers, closed = send_raw(port, b"GET /x HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n")
    answers[0].status  # 200
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.ports import started_on_a_free_port
from tests.strangler_proxy.proxy_stack import Running


@dataclass
class Answer:
    """One response as it came over the wire (interim 1xx answers are answers too)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n == name.lower()]
        return ", ".join(values) if values else None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Reader:
    sock: socket.socket
    buf: bytes = b""
    eof: bool = False
    answers: list[Answer] = field(default_factory=list)

    def fill(self, deadline: float) -> bool:
        """More bytes (False at EOF or when ``deadline`` passed)."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return False
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def until(self, marker: bytes, deadline: float) -> bytes | None:
        while marker not in self.buf:
            if not self.fill(deadline):
                return None
        line, _, self.buf = self.buf.partition(marker)
        return line

    def exactly(self, size: int, deadline: float) -> bytes | None:
        while len(self.buf) < size:
            if not self.fill(deadline):
                return None
        out, self.buf = self.buf[:size], self.buf[size:]
        return out

    def answer(self, method: str, deadline: float) -> Answer | None:
        """The next response; its body framed as RFC 9112 section 6.3 says."""
        head = self.until(b"\r\n\r\n", deadline)
        if head is None:
            return None
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = []
        for line in lines:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        answer = Answer(int(status_line.split(" ", 2)[1]), headers)
        if method == "HEAD" or answer.status in (204, 304) or answer.status < 200:
            return answer
        coding = answer.header("transfer-encoding")
        length = answer.header("content-length")
        if coding is not None and coding.lower().endswith("chunked"):
            answer.body = self._chunked(deadline)
        elif length is not None:
            answer.body = self.exactly(int(length), deadline) or b""
        else:  # close-delimited
            while self.fill(deadline):
                pass
            answer.body, self.buf = self.buf, b""
        return answer

    def _chunked(self, deadline: float) -> bytes:
        body = b""
        while True:
            size_line = self.until(b"\r\n", deadline)
            if size_line is None:
                return body
            size = int(size_line.split(b";")[0], 16)
            if size == 0:  # then trailer lines, up to an empty one
                while self.until(b"\r\n", deadline):
                    pass
                return body
            body += self.exactly(size, deadline) or b""
            self.exactly(2, deadline)


def send_raw(
    port: int, data: bytes, *, method: str = "GET", wait: float = 3.0, linger: float = 0.6
) -> tuple[list[Answer], bool]:
    """Send ``data`` as is; the answers that came and whether the server closed.

    Reads answers until the server closes, or until nothing more came ``linger`` seconds
    after the last whole answer (the keep-alive timeout is seconds longer than that, so a
    close seen here is the server's decision about this request)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        reader = _Reader(sock)
        while True:
            deadline = time.monotonic() + (linger if reader.answers else wait)
            answer = reader.answer(method, deadline)
            if answer is None:
                if reader.buf.strip():
                    raise AssertionError(f"a partial answer: {reader.buf[:200]!r}")
                return reader.answers, reader.eof
            reader.answers.append(answer)


def read_answer(sock: socket.socket, method: str, wait: float = 3.0) -> Answer:
    """The next answer on ``sock`` (a step of a conversation), within ``wait`` seconds."""
    answer = _Reader(sock).answer(method, time.monotonic() + wait)
    if answer is None:
        raise AssertionError(f"no answer within {wait} s")
    return answer


def nginx_binary() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def nginx_conf(work: Path, port: int, upstream_port: int) -> str:
    """Debian nginx as a plain reverse proxy, as the docs show it: Host and X-Forwarded-For
    set, HTTP/1.1 with keep-alive upstream; every other setting its default."""
    temp = "\n".join(
        f"  {kind}_temp_path {work}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log stderr info;
events {{ worker_connections 256; }}
http {{
  access_log off;
{temp}
  upstream backend {{ server 127.0.0.1:{upstream_port}; keepalive 8; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
}}
"""


@contextlib.contextmanager
def nginx(binary: str, upstream: Running, work: Path) -> Iterator[Running]:
    """nginx in front of ``upstream``, with its own prefix and config under ``work``, on a
    free port (nginx cannot report a port the kernel picked; a port taken between the pick
    and its bind starts it again on another)."""
    work.mkdir(parents=True, exist_ok=True)

    def make(port: int) -> Running:
        conf = work / f"nginx-{port}.conf"
        conf.write_text(nginx_conf(work, port, upstream.port))
        argv = [binary, "-p", str(work), "-c", str(conf), "-e", "stderr"]
        health = f"http://127.0.0.1:{port}/health/"
        return Running("nginx", argv, health_url=health, log_path=work / "nginx.log")

    with started_on_a_free_port(make) as proc:
        yield proc


__all__ = ["Answer", "nginx", "nginx_binary", "read_answer", "send_raw"]
