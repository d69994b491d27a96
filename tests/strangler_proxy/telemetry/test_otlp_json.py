"""The direct OTLP/JSON encoding is the one OpenTelemetry's encoder + protobuf's printer give."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    StatusCode,
    TraceFlags,
    TraceState,
)
from opentelemetry.util.types import AnyValue

from strangler_proxy.telemetry.otlp_json import reference_request, request

ODD_VALUES: Mapping[str, AnyValue] = {
    "empty": "", "zero": 0, "false": False, "half": 1.5, "whole": 2.0, "nan": float("nan"),
    "-inf": float("-inf"), "words": ["a", ""], "ints": [1, 2], "none": [], "bytes": b"\x00x",
}  # fmt: skip


class Kept(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def test_every_kind_of_field_encodes_as_the_reference_does() -> None:
    kept = Kept()
    for resource in (
        Resource.create({"service.name": "catalog"}),
        Resource({"service.name": "relay", "n": 3}, "https://opentelemetry.io/schemas/1.21.0"),
    ):
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(SimpleSpanProcessor(kept))
        plain = provider.get_tracer("plain")
        scoped = provider.get_tracer("db", "1.2", schema_url="https://s", attributes={"q": 1})
        with plain.start_as_current_span(
            "GET", kind=SpanKind.SERVER, attributes=ODD_VALUES
        ) as root:
            root.add_event("retry", {"attempt": 2})
            root.add_event("")
            root.set_status(StatusCode.OK)
            other = SpanContext(5, 6, True, TraceFlags(1))
            with scoped.start_as_current_span(
                "SELECT", links=[Link(root.get_span_context(), {"why": "x"}), Link(other)]
            ) as child:
                child.set_status(StatusCode.ERROR, "no such table")
            with scoped.start_as_current_span(""):
                pass
        remote = SpanContext(
            0xABC, 0xDEF, True, TraceFlags(1), TraceState([("k", "v"), ("z", "1")])
        )
        parent = trace.set_span_in_context(NonRecordingSpan(remote))
        with plain.start_as_current_span("apply", context=parent, kind=SpanKind.CONSUMER):
            pass
    assert len(kept.spans) == 8
    # through JSON text both: NaN is a string in both, tuples become lists
    mine = json.loads(json.dumps(request(kept.spans)))
    assert mine == json.loads(json.dumps(reference_request(kept.spans)))
    assert [len(r["scopeSpans"]) for r in mine["resourceSpans"]] == [2, 2]
