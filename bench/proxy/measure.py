"""The three measurements of one benchmark row: throughput (wrk), latency at a fixed rate
(a small paced load generator) and peak memory (/proc).

>>> parse_wrk(WRK_SAMPLE).requests_per_s
24691.2
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httptools
import uvloop

WRK_SAMPLE = """Running 5s test @ http://127.0.0.1:8080/
  2 threads and 32 connections
  123456 requests in 5.00s, 20.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:  24691.20
Transfer/sec:      4.00MB
"""


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class MeasureError(RuntimeError):
    """A measurement could not be taken (tool missing, output unreadable, server gone)."""


# --- throughput: wrk ------------------------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    requests_per_s: float
    requests: int
    errors: int  # socket errors plus non-2xx/3xx answers


def parse_wrk(output: str) -> Throughput:
    """wrk's summary as numbers; raises MeasureError naming what is missing."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    if rate is None or total is None:
        raise MeasureError(f"wrk printed no 'Requests/sec' summary:\n{output.strip()}")
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return Throughput(float(rate.group(1)), int(total.group(1)), errors)


@dataclass(frozen=True)
class Credential:
    """The ``Authorization`` every request of a row carries: ``Token <token>`` on each, or
    (``unique``) a token never sent before on each, so no cache of the proxy has seen it."""

    token: str = ""
    unique: bool = False

    def wrk_args(self, url: str) -> list[str]:
        if self.unique:  # wrk's Lua: a new header per request (a run-wide random prefix)
            return ["-s", str(_UNIQUE_LUA), url, "--", secrets.token_hex(4)]
        return ["-H", f"Authorization: Token {self.token}", url] if self.token else [url]

    def header(self) -> Callable[[], bytes]:
        """Each request's header line (empty: none)."""
        if self.unique:
            prefix, counter = secrets.token_hex(4), itertools.count(1)
            return lambda: b"Authorization: Token good-%s-%d\r\n" % (prefix.encode(), next(counter))
        line = f"Authorization: Token {self.token}\r\n".encode() if self.token else b""
        return lambda: line


NO_CREDENTIAL = Credential()
_UNIQUE_LUA = Path(__file__).with_name("unique_token.lua")


def run_wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    credential: Credential = NO_CREDENTIAL,
) -> Throughput:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise MeasureError("wrk is not installed (apt-get install -y wrk)")
    argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    argv += credential.wrk_args(url)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    if done.returncode != 0:
        raise MeasureError(f"wrk exited with {done.returncode}: {done.stderr.strip()}")
    return parse_wrk(done.stdout)


# --- latency at a fixed rate ---------------------------------------------------------------


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int

    @classmethod
    def of(cls, samples: list[float], errors: int) -> Latency:
        """Percentiles of successful requests' latencies (seconds) plus the failures."""
        return cls(
            p50_ms=percentile(samples, 0.50) * 1000,
            p99_ms=percentile(samples, 0.99) * 1000,
            requests=len(samples) + errors,
            errors=errors,
        )


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile of ``samples`` (0 < share <= 1)."""
    if not samples:
        raise MeasureError("no successful request to take a percentile of")
    ordered = sorted(samples)
    rank = min(len(ordered), max(1, math.ceil(share * len(ordered))))
    return ordered[rank - 1]


class _Response:
    """httptools callbacks: only the status and the end of the message matter."""

    def __init__(self) -> None:
        self.complete = False

    def on_message_complete(self) -> None:
        self.complete = True


async def _read_response(reader: asyncio.StreamReader) -> int:
    callbacks = _Response()
    parser = httptools.HttpResponseParser(callbacks)
    while not callbacks.complete:
        chunk = await reader.read(65536)
        if not chunk:
            raise ConnectionError("connection closed before the response ended")
        parser.feed_data(chunk)
    return int(parser.get_status_code())


async def _paced_connection(
    host: str, port: int, request: Callable[[], bytes], starts: list[float], latencies: list[float]
) -> int:
    """Sends one request at each planned start (loop time); returns the number of errors."""
    loop = asyncio.get_running_loop()
    errors = 0
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for start in starts:
            delay = start - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            sent = time.perf_counter()
            try:
                writer.write(request())
                status = await _read_response(reader)
            except (ConnectionError, httptools.HttpParserError):
                errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            if 200 <= status < 400:
                latencies.append(time.perf_counter() - sent)
            else:
                errors += 1
    finally:
        writer.close()
    return errors


async def _paced(
    url: str, rate: float, seconds: float, connections: int, credential: Credential
) -> tuple[list[float], int]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: bench\r\n".encode()
    header = credential.header()

    def request() -> bytes:
        return head + header() + b"\r\n"

    interval = connections / rate  # each connection sends at rate / connections
    per_connection = max(1, int(seconds * rate / connections))
    begin = asyncio.get_running_loop().time() + 0.05
    latencies: list[float] = []
    errors = await asyncio.gather(
        *(
            _paced_connection(
                host,
                port,
                request,
                [begin + (k / connections + i) * interval for i in range(per_connection)],
                latencies,
            )
            for k in range(connections)
        )
    )
    return latencies, sum(errors)


def paced_samples(
    url: str,
    *,
    rate: float,
    seconds: float,
    connections: int = 8,
    credential: Credential = NO_CREDENTIAL,
) -> tuple[list[float], int]:
    """GET ``url`` at a fixed total ``rate`` (req/s) spread over keep-alive ``connections``
    for ``seconds``: each successful request's latency (seconds, from its send to its
    response's last byte, like wrk) and the number of failures. Run it well below
    saturation, so requests do not queue."""
    return uvloop.run(_paced(url, rate, seconds, connections, credential))


def paced_latency(url: str, *, rate: float, seconds: float, connections: int = 8) -> Latency:
    """``paced_samples`` as percentiles."""
    return Latency.of(*paced_samples(url, rate=rate, seconds=seconds, connections=connections))


# --- CPU and peak memory ------------------------------------------------------------------


def _parent_of(stat_path: Path) -> int | None:
    try:
        stat = stat_path.read_text()
    except OSError:
        return None
    # the command name may hold spaces and parentheses: the fields after the last ")" are fixed
    return int(stat.rsplit(")", 1)[1].split()[1])


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    for stat_path in Path("/proc").glob("[0-9]*/stat"):
        parent = _parent_of(stat_path)
        if parent is not None:
            children.setdefault(parent, []).append(int(stat_path.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time used so far by ``pid`` and its descendants, in seconds (a
    process that exits in between no longer counts: take it over a span they all live)."""
    ticks = 0
    for member in process_tree(pid):
        try:
            stat = Path(f"/proc/{member}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / _CLOCK_TICKS


def peak_rss_mib(pid: int) -> float:
    """Sum of the peak resident set (VmHWM) of ``pid`` and its descendants, in MiB.

    psutil has no peak RSS, only the current one; the kernel keeps the peak per process.
    Shared pages count once per process, so a forking server is slightly over-counted.
    """
    total_kib = 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if found:
            total_kib += int(found.group(1))
    return total_kib / 1024
