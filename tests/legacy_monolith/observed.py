"""What the Django projects' observability leaves behind, read back by their tests: the span
files (OTLP JSON lines under ``STRANGLER_TRACES_DIR``), ``/metrics`` and the JSON log lines.
A reader of its own (a few lines), so these tests do not wait on the toolkit's."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from prometheus_client.parser import text_string_to_metric_families

T = TypeVar("T")

#: gunicorn's workers export every 100 ms, so a test waits a little, not the SDK's 5 s
TRACED = {"OTEL_TRACES_EXPORTER": "strangler_files", "OTEL_BSP_SCHEDULE_DELAY": "100"}
SERVER, CLIENT, CONSUMER = 2, 3, 5  # OTLP span kinds


@dataclass(frozen=True)
class Span:
    service: str
    trace_id: str
    span_id: str
    parent_id: str
    kind: int
    name: str
    attributes: dict[str, Any]


def traceparent(trace_id: str, span_id: str = "b7ad6b7169203331") -> str:
    return f"00-{trace_id}-{span_id}-01"


def _value(value: dict[str, Any]) -> Any:
    if "intValue" in value:  # int64 is a string in OTLP/JSON
        return int(value["intValue"])
    return next(iter(value.values()), None)


def read_spans(directory: Path) -> list[Span]:
    spans = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                request = json.loads(line)
            except ValueError:
                continue  # a line being written
            for resource in request.get("resourceSpans", ()):
                attrs = resource.get("resource", {}).get("attributes", ())
                service = next(_value(a["value"]) for a in attrs if a["key"] == "service.name")
                for scope in resource.get("scopeSpans", ()):
                    for s in scope.get("spans", ()):
                        attributes = {a["key"]: _value(a["value"]) for a in s.get("attributes", ())}
                        spans.append(
                            Span(
                                service,
                                s["traceId"],
                                s["spanId"],
                                s.get("parentSpanId", ""),
                                s["kind"],
                                s["name"],
                                attributes,
                            )
                        )
    return spans


def eventually(check: Callable[[], T | None], timeout: float = 10.0) -> T:
    """The first truthy answer of ``check`` (polled), else the test fails saying so."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "not within the time given"
        time.sleep(0.05)


def trace_of(directory: Path, trace_id: str, *, until: Callable[[list[Span]], bool]) -> list[Span]:
    """The spans of one trace, once ``until`` holds for them (the exports are batched)."""

    def spans() -> list[Span] | None:
        found = [span for span in read_spans(directory) if span.trace_id == trace_id]
        return found if until(found) else None

    return eventually(spans)


def having(*kinds: int) -> Callable[[list[Span]], bool]:
    """A trace holding a span of each kind (a batch may hold the queries, the next their
    parent: every span is exported when it ends)."""
    return lambda spans: all(any(span.kind == kind for span in spans) for kind in kinds)


def scrape(base_url: str, token: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``{(sample name, sorted labels): value}`` of ``GET /metrics`` with the token."""
    answer = httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def json_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON log lines of a process's log (stdout and stderr), other lines left out."""
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines
