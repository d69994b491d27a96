"""JSON log lines (the toolkit's fields: ts, level, service, logger, message, request_id,
trace_id, span_id, plus exc), for Django's ``LOGGING`` and gunicorn's ``logconfig_dict``.
``STRANGLER_LOG_FORMAT=text`` keeps plain text.

The request id is the one ``REQUEST_ID`` holds (``metrics.ObservedRequests`` sets it from
``X-Request-ID``), else the ``request_id`` the middleware left on the record's request
(Django logs a 4xx after the middleware returned); the trace ids are the current span's,
else that request's span's.

>>> import logging
>>> record = logging.LogRecord("shop", logging.INFO, "f.py", 1, "sold %d", (3,), None)
>>> record.created = 0.0
>>> JsonFormatter("catalog").format(record)
'{"ts": "1970-01-01T00:00:00.000Z", "level": "INFO", "service": "catalog", "logger": "shop", \
"message": "sold 3", "request_id": null, "trace_id": null, "span_id": null}'
>>> atoms = {"m": "GET", "U": "/x", "s": "200", "M": 3, "{x-request-id}i": "r1",
...          "{traceparent}i": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}
>>> access = logging.LogRecord("gunicorn.access", logging.INFO, "g.py", 1, "%(h)s", (), None)
>>> access.args = atoms
>>> line = json.loads(AccessFormatter("catalog").format(access))
>>> line["message"], line["request_id"], line["trace_id"], line["duration_ms"]
('GET /x 200', 'r1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 3)
"""

from __future__ import annotations

import json
import logging
import os
import time
from contextvars import ContextVar
from typing import Any

from legacy_monolith.shop.observability.spans import current_ids

REQUEST_ID: ContextVar[str | None] = ContextVar("shop_request_id", default=None)


def text_wanted() -> bool:
    return os.environ.get("STRANGLER_LOG_FORMAT", "").strip().lower() == "text"


def service_name(default: str) -> str:
    return os.environ.get("OTEL_SERVICE_NAME") or default


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = self.fields(record)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        request = getattr(record, "request", None)
        trace_id, span_id = current_ids()
        if trace_id is None and request is not None:
            trace_id, span_id = getattr(request, "trace_ids", (None, None))
        request_id = REQUEST_ID.get() or getattr(record, "request_id", None)
        return {
            "ts": stamp(record.created),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id or getattr(request, "request_id", None),
            "trace_id": trace_id,
            "span_id": span_id,
        }


class AccessFormatter(JsonFormatter):
    """gunicorn's access lines (its atoms in ``record.args``), after the request is done:
    the ids come from the request's headers (the span has ended; it continued the incoming
    ``traceparent``, so that trace id is the request's)."""

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        atoms: Any = record.args if isinstance(record.args, dict) else {}
        parent = str(atoms.get("{traceparent}i", "-")).split("-")
        request_id = atoms.get("{x-request-id}i")
        return {
            "ts": stamp(record.created),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": f"{atoms.get('m')} {atoms.get('U')} {atoms.get('s')}",
            "request_id": None if request_id in (None, "-") else request_id,
            "trace_id": parent[1] if len(parent) == 4 and len(parent[1]) == 32 else None,
            "span_id": None,
            "method": atoms.get("m"),
            "path": atoms.get("U"),
            "status": atoms.get("s"),
            "duration_ms": atoms.get("M"),
        }


def stamp(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created * 1000) % 1000:03d}Z"


def django_logging(service: str, package: str, level: str = "INFO") -> dict[str, Any]:
    """Django's ``LOGGING``: every logger through the root's one stderr handler; the
    project's ``package`` and Django at ``level``, the libraries' chatter (an INFO line per
    outgoing HTTP call, say) only from WARNING up."""
    formatter: dict[str, Any] = (
        {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
        if text_wanted()
        else {"()": f"{__name__}.JsonFormatter", "service": service_name(service)}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line"}},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            package: {"level": level},
            # Django's own console handler (DEBUG only) would print every line twice
            "django": {"handlers": [], "level": level, "propagate": True},
        },
    }


def gunicorn_logging(service: str) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict`` (empty: gunicorn's own text, no access log)."""
    if text_wanted():
        return {}
    name = service_name(service)

    def logger(handler: str) -> dict[str, Any]:
        return {"level": "INFO", "handlers": [handler], "propagate": False}

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "loggers": {"gunicorn.error": logger("error"), "gunicorn.access": logger("access")},
        "handlers": {
            "error": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "stream": "ext://sys.stdout",
            },
        },
        "formatters": {
            "json": {"()": f"{__name__}.JsonFormatter", "service": name},
            "access": {"()": f"{__name__}.AccessFormatter", "service": name},
        },
    }
