"""Span files read back: find a trace by trace id or request id, and lay it out as a waterfall.

:func:`read_spans` is the only I/O: it streams the OTLP/JSON lines of a directory (rotated
files too), skipping broken lines and a half-written last one. Given ``contains``, it parses
only the lines holding that text, so looking a key up in tens of megabytes of spans costs a
substring search, not a JSON parse of every line. The rest is pure:

>>> def span(sid, parent=None, start=0, end=10, service="proxy", **attributes):
...     return SpanRecord("ab" * 16, sid, parent, service, f"op {sid}", "internal",
...                       start * 1_000_000, end * 1_000_000, "unset", attributes)
>>> spans = [span("02", "01", 5, 9, "catalog"), span("03", "01", 2, 4, "catalog"),
...          span("01", None, 0, 12, **{"strangler.request_id": "r-7"}),
...          span("04", "02", 6, 8, "catalog"), span("05", "99", 1, 3, "relay")]
>>> trace_ids_for(spans, "r-7") == trace_ids_for(spans, "AB" * 16) == ["ab" * 16]
True
>>> chart = waterfall(spans, "ab" * 16)
>>> for row in chart.rows:
...     print(row.span_id, row.depth, row.service, row.start_ms, row.duration_ms)
01 0 proxy 0.0 12.0
03 1 catalog 2.0 2.0
02 1 catalog 5.0 4.0
04 2 catalog 6.0 2.0
05 0 relay 1.0 2.0
>>> chart.duration_ms, chart.services
(12.0, ('proxy', 'catalog', 'relay'))
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REQUEST_ID_ATTRIBUTES = (
    "strangler.request_id",
    "http.request.header.x_request_id",
    "http.request.header.x-request-id",
)
KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
STATUSES = {1: "ok", 2: "error", "STATUS_CODE_OK": "ok", "STATUS_CODE_ERROR": "error"}
_TRACE_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class SpanRecord:
    trace_id: str  # 32 lowercase hex
    span_id: str  # 16 lowercase hex
    parent_id: str | None
    service: str  # the resource's service.name
    name: str
    kind: str  # one of KINDS
    start_ns: int  # unix time
    end_ns: int
    status: str  # "ok" | "error" | "unset"
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Row:
    span_id: str
    parent_id: str | None
    depth: int
    service: str
    name: str
    kind: str
    start_ms: float  # from the trace's start
    duration_ms: float
    status: str
    attributes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Waterfall:
    trace_id: str
    duration_ms: float
    services: tuple[str, ...]  # in the order they first appear in the rows
    rows: tuple[Row, ...]  # tree order: parent before children, siblings by start

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: ``trace_id``, ``duration_ms``, ``services``, ``rows``."""
        return {
            "trace_id": self.trace_id,
            "duration_ms": self.duration_ms,
            "services": list(self.services),
            "rows": [asdict(row) | {"attributes": dict(row.attributes)} for row in self.rows],
        }


def _id(value: Any) -> str | None:
    """An OTLP/JSON id as lowercase hex (hex as the spec says, base64 as protobuf prints).

    >>> _id("00000000000000AB"), _id("AAECAwQFBgc="), _id(""), _id(None)
    ('00000000000000ab', '0001020304050607', None, None)
    """
    if not value or not isinstance(value, str):
        return None
    if len(value) in (16, 32) and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    try:
        return base64.b64decode(value, validate=True).hex() or None
    except (binascii.Error, ValueError):
        return value.lower()


def any_value(value: Mapping[str, Any]) -> Any:
    """An OTLP/JSON ``AnyValue`` as a Python value.

    >>> any_value({"intValue": "42"}), any_value({"arrayValue": {"values": [{"boolValue": True}]}})
    (42, [True])
    >>> any_value({"kvlistValue": {"values": [{"key": "k", "value": {"doubleValue": 0.5}}]}})
    {'k': 0.5}
    """
    for kind, inner in value.items():
        if kind == "intValue":
            return int(inner)
        if kind == "arrayValue":
            return [any_value(item) for item in inner.get("values", ())]
        if kind == "kvlistValue":
            return attributes(inner.get("values", ()))
        return inner  # stringValue, boolValue, doubleValue, bytesValue (base64)
    return None


def attributes(pairs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {pair["key"]: any_value(pair.get("value", {})) for pair in pairs}


def _kind(value: Any) -> str:
    if isinstance(value, int) and 0 <= value < len(KINDS):
        return KINDS[value]
    if isinstance(value, str) and value.startswith("SPAN_KIND_"):
        return value.removeprefix("SPAN_KIND_").lower()
    return "unspecified"


def records(request: Mapping[str, Any]) -> Iterator[SpanRecord]:
    """The spans of one OTLP/JSON ``ExportTraceServiceRequest``; malformed spans are skipped."""
    for resource_spans in request.get("resourceSpans", ()):
        resource = attributes(resource_spans.get("resource", {}).get("attributes", ()))
        service = str(resource.get("service.name", "unknown_service"))
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                try:
                    trace_id, span_id = _id(span["traceId"]), _id(span["spanId"])
                    if trace_id is None or span_id is None:
                        continue
                    yield SpanRecord(
                        trace_id,
                        span_id,
                        _id(span.get("parentSpanId")),
                        service,
                        str(span.get("name", "")),
                        _kind(span.get("kind", 0)),
                        int(span.get("startTimeUnixNano", 0)),
                        int(span.get("endTimeUnixNano", 0)),
                        STATUSES.get(span.get("status", {}).get("code", 0), "unset"),
                        attributes(span.get("attributes", ())),
                    )
                except (KeyError, TypeError, ValueError, AttributeError):
                    continue  # one odd span does not hide the others


def read_spans(
    directory: str | os.PathLike[str], contains: str | Iterable[str] | None = None
) -> Iterator[SpanRecord]:
    """Every span in the directory's ``*.jsonl`` files (only lines holding one of ``contains``).

    Never raises on what it reads: a missing directory has no spans, a file rotated away
    meanwhile is passed over, a broken or half-written line is skipped.
    """
    wanted = [contains] if isinstance(contains, str) else list(contains or ())
    needles = {json.dumps(text)[1:-1].encode() for text in wanted if text}  # as JSON spells it
    try:
        paths = sorted(Path(directory).glob("*.jsonl"))
    except OSError:
        return
    for path in paths:
        try:
            handle = path.open("rb")
        except OSError:
            continue
        with handle:
            for line in handle:
                if needles and not any(needle in line for needle in needles):
                    continue
                try:
                    request = json.loads(line)
                except ValueError:
                    continue
                if isinstance(request, dict):
                    try:
                        yield from records(request)
                    except (TypeError, AttributeError, ValueError):
                        continue


def trace_ids_for(spans: Iterable[SpanRecord], key: str) -> list[str]:
    """The traces ``key`` names, the latest first: a trace id, or a request id in attributes.

    A 32-hex key can be either (a request id may be a uuid's hex): both are looked for.

    >>> header = SpanRecord("cd" * 16, "01", None, "catalog", "GET", "server", 5, 9, "ok",
    ...                     {"http.request.header.x_request_id": ["r-8"]})
    >>> trace_ids_for([header], "r-8"), trace_ids_for([header], "r-9")
    (['cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd'], [])
    """
    key = key.strip()
    as_trace = key.lower() if _TRACE_ID.fullmatch(key.lower()) else None
    first_start: dict[str, int] = {}
    for span in spans:
        if span.trace_id == as_trace or any(
            _names(span.attributes.get(name), key) for name in REQUEST_ID_ATTRIBUTES
        ):
            seen = first_start.get(span.trace_id)
            first_start[span.trace_id] = span.start_ns if seen is None else min(seen, span.start_ns)
    return sorted(first_start, key=lambda trace_id: -first_start[trace_id])


def _names(value: Any, key: str) -> bool:
    # captured headers are lists in OpenTelemetry's conventions (a header may repeat)
    return value == key or (isinstance(value, list) and key in value)


def waterfall(spans: Iterable[SpanRecord], trace_id: str) -> Waterfall:
    """The trace's spans in tree order; orphans (parent not found) at depth 0 by start."""
    trace_id = trace_id.strip().lower()
    mine: dict[str, SpanRecord] = {}
    for span in spans:
        if span.trace_id == trace_id:
            mine.setdefault(span.span_id, span)  # a span exported twice shows once
    if not mine:
        return Waterfall(trace_id, 0.0, (), ())
    start = min(span.start_ns for span in mine.values())
    end = max(span.end_ns for span in mine.values())
    children: dict[str | None, list[SpanRecord]] = defaultdict(list)
    for span in mine.values():
        parent = (
            span.parent_id if span.parent_id in mine and span.parent_id != span.span_id else None
        )
        children[parent].append(span)

    def by_start(span: SpanRecord) -> tuple[int, int, str]:
        return (span.start_ns, -span.end_ns, span.span_id)

    rows: list[Row] = []
    stack = [(span, 0) for span in sorted(children[None], key=by_start, reverse=True)]
    while stack:
        span, depth = stack.pop()
        rows.append(
            Row(
                span.span_id,
                span.parent_id,
                depth,
                span.service,
                span.name,
                span.kind,
                _ms(span.start_ns - start),
                _ms(span.end_ns - span.start_ns),
                span.status,
                span.attributes,
            )
        )
        stack.extend(
            (child, depth + 1)
            for child in sorted(children[span.span_id], key=by_start, reverse=True)
        )
    services = tuple(dict.fromkeys(row.service for row in rows))
    return Waterfall(trace_id, _ms(end - start), services, tuple(rows))


def _ms(nanoseconds: int) -> float:
    return round(nanoseconds / 1e6, 3)


def find_trace(directory: str | os.PathLike[str], key: str) -> Waterfall | None:
    """The latest trace ``key`` names (trace id or request id) in the directory, or None."""
    key = key.strip()
    found = trace_ids_for(read_spans(directory, contains=(key, key.lower())), key)
    if not found:
        return None
    return waterfall(read_spans(directory, contains=found[0]), found[0])
