"""The access log: one JSON object per answered request, off unless ``--access-log`` is given.

A line says who answered and why, which the metrics only count::

    {"ts": "2026-11-25T10:41:07.512Z", "client": "127.0.0.1", "method": "GET",
     "target": "/api/catalog/products/7/", "status": 200, "served_by": "monolith",
     "route": "catalog-product-detail", "fallback": "refused", "ms": 4.81,
     "request_id": "9f3c...-2a", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}

``route`` is null for an unmatched request, ``fallback`` is null unless the service could
not answer and the monolith did, ``trace_id`` is null unless tracing is on (its span's
trace: the client's when it sent a ``traceparent``). Each worker appends whole lines to the
same file (opened with ``O_APPEND``, written a line at a time), so lines of several workers
never mix; rotate it with copytruncate. ``-`` writes to standard output instead.

>>> import io
>>> out = io.StringIO()
>>> AccessLog(out).record(
...     client="127.0.0.1", method="GET", target=b"/x", status=200, served_by="monolith",
...     route=None, fallback=None, request_id=b"r-1", seconds=0.0042, now=0.0)
>>> out.getvalue()
'{"ts":"1970-01-01T00:00:00.000Z","client":"127.0.0.1","method":"GET","target":"/x","status":200,"served_by":"monolith","route":null,"fallback":null,"ms":4.2,"request_id":"r-1","trace_id":null}\\n'
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO


class AccessLogError(ValueError):
    """The access log cannot be written where it was asked for."""


class AccessLog:
    def __init__(self, stream: TextIO, *, owned: bool = False) -> None:
        self._stream = stream
        self._owned = owned
        self._encode = json.JSONEncoder(separators=(",", ":")).encode

    @classmethod
    def open(cls, where: str) -> AccessLog:
        """``-`` for standard output, else a file appended to (created if missing)."""
        if where == "-":
            return cls(sys.stdout)
        try:
            # a write per line; closed by close()
            stream = Path(where).open("a", encoding="utf-8", buffering=1)  # noqa: SIM115
        except OSError as exc:
            raise AccessLogError(f"cannot append to {where}: {exc.strerror or exc}") from exc
        return cls(stream, owned=True)

    def record(
        self,
        *,
        client: str | None,
        method: str,
        target: bytes,
        status: int,
        served_by: str,
        route: str | None,
        fallback: str | None,
        request_id: bytes | None,
        seconds: float,
        trace_id: str | None = None,
        now: float | None = None,
    ) -> None:
        stamp = datetime.fromtimestamp(time.time() if now is None else now, UTC)
        line = self._encode(
            {
                "ts": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "client": client,
                "method": method,
                "target": target.decode("latin-1"),
                "status": status,
                "served_by": served_by,
                "route": route,
                "fallback": fallback,
                "ms": round(seconds * 1000, 3),
                "request_id": None if request_id is None else request_id.decode("latin-1"),
                "trace_id": trace_id,
            }
        )
        self._stream.write(line + "\n")

    def close(self) -> None:
        if self._owned:
            self._stream.close()
        else:
            self._stream.flush()


__all__ = ["AccessLog", "AccessLogError"]
