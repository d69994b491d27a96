"""JSON log lines on the root logger: their shape, the ids they carry, and no double handlers."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from strangler_proxy.telemetry.logs import REQUEST_ID, json_logging


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    logger = logging.getLogger()
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_lines_carry_time_level_service_request_and_trace(root: logging.Logger) -> None:
    first, stream = io.StringIO(), io.StringIO()
    json_logging("catalog", stream=first)
    handler = json_logging("catalog", level="DEBUG", stream=stream)  # replaces, never adds
    assert [h for h in root.handlers if type(h) is type(handler)] == [handler]
    log = logging.getLogger("shop.orders")
    log.debug("plain")
    token = REQUEST_ID.set("req-1")
    try:
        with TracerProvider().get_tracer("t").start_as_current_span("GET") as span:
            log.info("in a request %s", "ok")
            log.info("its own id", extra={"request_id": "req-2"})
            try:
                raise KeyError("sku")
            except KeyError:
                log.exception("failed")
    finally:
        REQUEST_ID.reset(token)
    assert first.getvalue() == ""
    plain, inside, own, failed = (json.loads(line) for line in stream.getvalue().splitlines())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", plain["ts"])
    assert plain | {"ts": None} == {
        "ts": None, "level": "DEBUG", "service": "catalog", "logger": "shop.orders",
        "message": "plain", "request_id": None, "trace_id": None, "span_id": None,
    }  # fmt: skip
    context = span.get_span_context()
    assert inside["message"] == "in a request ok" and inside["request_id"] == "req-1"
    assert (inside["trace_id"], inside["span_id"]) == (
        f"{context.trace_id:032x}",
        f"{context.span_id:016x}",
    )
    assert own["request_id"] == "req-2" and "exc" not in own
    assert failed["level"] == "ERROR" and "KeyError: 'sku'" in failed["exc"]


def test_text_format_keeps_plain_lines(
    root: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRANGLER_LOG_FORMAT", "text")
    stream = io.StringIO()
    json_logging("catalog", stream=stream)
    logging.getLogger("shop").warning("hello")
    assert stream.getvalue().rstrip().endswith("WARNING [shop] hello")
