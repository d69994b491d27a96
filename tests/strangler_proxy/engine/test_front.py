"""The engine's server side over raw sockets: keep-alive, pipelining, 100-continue, HTTP/1.0
and re-framing, the things a client library would hide."""

from __future__ import annotations

import json
import socket
from typing import Any

from tests.strangler_proxy.proxy_stack import Running


def read_answers(sock: socket.socket, count: int) -> list[tuple[bytes, dict[str, Any]]]:
    """``count`` answers with a Content-Length (status line, JSON body), in arrival order."""
    buffer = b""
    answers: list[tuple[bytes, dict[str, Any]]] = []
    while len(answers) < count:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            assert chunk, f"closed after {len(answers)} answers"
            buffer += chunk
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(buffer) < length:
            buffer += sock.recv(65536)
        body, buffer = buffer[:length], buffer[length:]
        answers.append((head.split(b"\r\n", 1)[0], json.loads(body)))
    return answers


def test_many_requests_on_one_keep_alive_connection(edge: Running) -> None:
    with socket.create_connection(("127.0.0.1", edge.port), timeout=5) as sock:
        for i in range(50):
            sock.sendall(f"GET /ping/{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            [(status, body)] = read_answers(sock, 1)
            assert status == b"HTTP/1.1 200 OK" and body["path"] == f"/ping/{i}"


def test_pipelined_requests_are_answered_in_order(edge: Running) -> None:
    requests = (
        b"".join(f"GET /order/{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(10))
        + b"POST /order/body HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    )
    with socket.create_connection(("127.0.0.1", edge.port), timeout=5) as sock:
        sock.sendall(requests)
        answers = read_answers(sock, 11)
    assert [body["path"] for _, body in answers] == [f"/order/{i}" for i in range(10)] + [
        "/order/body"
    ]
    assert answers[-1][1]["body_bytes"] == 5


def test_expect_100_continue_gets_the_interim_answer_before_the_body(edge: Running) -> None:
    with socket.create_connection(("127.0.0.1", edge.port), timeout=5) as sock:
        sock.sendall(
            b"POST /continue HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        [(status, body)] = read_answers(sock, 1)
    assert status == b"HTTP/1.1 200 OK" and body["body_bytes"] == 5
    assert "expect" not in body["headers"]  # answered here, not forwarded


def test_an_http_1_0_client_gets_its_answer_and_the_connection_closes(edge: Running) -> None:
    with socket.create_connection(("127.0.0.1", edge.port), timeout=5) as sock:
        sock.sendall(b"GET /old HTTP/1.0\r\nHost: x\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and b"connection: close" in head.lower()
    assert json.loads(body)["path"] == "/old"


def test_a_chunked_answer_is_re_framed_chunked_for_the_client(edge: Running) -> None:
    """The stand-in streams /big without a Content-Length: the client gets chunks, then more
    requests on the same connection."""
    with socket.create_connection(("127.0.0.1", edge.port), timeout=5) as sock:
        sock.sendall(b"GET /big?size=100000 HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = b""
        while not raw.endswith(b"\r\n0\r\n\r\n"):
            chunk = sock.recv(65536)
            assert chunk
            raw += chunk
        head, _, chunked = raw.partition(b"\r\n\r\n")
        assert b"transfer-encoding: chunked" in head.lower()
        body, rest = b"", chunked
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            body, rest = body + rest[:size], rest[size + 2 :]
        assert len(body) == 100000
        sock.sendall(b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_answers(sock, 1)[0][1]["path"] == "/after"


def test_bad_bytes_after_a_good_request_answer_it_then_400_and_close(edge: Running) -> None:
    data = (
        b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
        b"hello GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", edge.port), timeout=5) as sock:
        sock.sendall(data)
        raw = b""
        while chunk := sock.recv(65536):  # the proxy closes the connection
            raw += chunk
    first, _, rest = raw.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200 ") and b'"/first"' in rest
    assert b"HTTP/1.1 400 Bad Request" in rest and b"/smuggled" not in raw
