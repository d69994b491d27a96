"""JSON log lines: every process says when, how bad, who, which request and which trace.

One line per record: ``ts`` (ISO-8601 UTC, milliseconds, ``Z``), ``level``, ``service``,
``logger``, ``message``, ``request_id`` (the record's own ``request_id`` attribute, else the
:data:`REQUEST_ID` context variable), ``trace_id`` and ``span_id`` (the record's own, else the
current OpenTelemetry span's when it is valid), and ``exc`` when there is an exception.

>>> record = logging.LogRecord("shop.orders", logging.WARNING, "x.py", 1, "low: %d", (3,), None)
>>> record.created, record.msecs = 1764597600.25, 250.0
>>> token = REQUEST_ID.set("req-7")
>>> print(JsonFormatter("catalog").format(record))  # doctest: +NORMALIZE_WHITESPACE
{"ts": "2025-12-01T14:00:00.250Z", "level": "WARNING", "service": "catalog",
 "logger": "shop.orders", "message": "low: 3", "request_id": "req-7", "trace_id": null,
 "span_id": null}
>>> REQUEST_ID.reset(token)
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, TextIO

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = ["FORMAT_VARIABLE", "REQUEST_ID", "JsonFormatter", "json_logging", "trace_of"]

# set by whoever handles a request (the proxy, a Django middleware) for the lines it causes
REQUEST_ID: ContextVar[str | None] = ContextVar("strangler_request_id", default=None)
FORMAT_VARIABLE = "STRANGLER_LOG_FORMAT"  # "text": plain lines for a person at a terminal
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
_W3C = TraceContextTextMapPropagator()


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        trace_id = getattr(record, "trace_id", None)
        span_id = getattr(record, "span_id", None)
        if trace_id is None:
            context = trace.get_current_span().get_span_context()
            if context.is_valid:
                trace_id, span_id = f"{context.trace_id:032x}", f"{context.span_id:016x}"
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
            "trace_id": trace_id,
            "span_id": span_id,
        }
        if record.exc_info:
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def trace_of(carrier: Mapping[str, str] | None) -> dict[str, str]:
    """``extra`` for a line about something that carries its trace context in headers (an
    event) but is logged outside its span: the context's trace and span ids, or nothing.

    >>> trace_of({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    {'trace_id': '4bf92f3577b34da6a3ce929d0e0e4736', 'span_id': '00f067aa0ba902b7'}
    >>> trace_of({"traceparent": "forged"}), trace_of(None)
    ({}, {})
    """
    context = trace.get_current_span(_W3C.extract(dict(carrier or {}))).get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours, so a second :func:`json_logging` replaces it rather than adding another."""


def json_logging(
    service: str, level: int | str = "INFO", stream: TextIO | None = None
) -> logging.Handler:
    """The root logger writes JSON lines (plain text with ``STRANGLER_LOG_FORMAT=text``).

    ``stream`` defaults to the standard error of the moment. Called again, it replaces the
    handler it added (never two); handlers others added are left as they are.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Handler):
            root.removeHandler(handler)
    handler = _Handler(stream if stream is not None else sys.stderr)
    plain = os.environ.get(FORMAT_VARIABLE, "json").strip().lower() == "text"
    handler.setFormatter(logging.Formatter(TEXT_FORMAT) if plain else JsonFormatter(service))
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler
