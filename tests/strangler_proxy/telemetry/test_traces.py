"""Span files written by the exporter, read back: lookups by request id or trace id, waterfalls."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from opentelemetry import context, propagate
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, StatusCode

from strangler_proxy.telemetry.files import FileSpanExporter
from strangler_proxy.telemetry.traces import find_trace, read_spans, trace_ids_for, waterfall


def provider(directory: Path, service: str, max_bytes: int = 32 << 20) -> TracerProvider:
    made = TracerProvider(resource=Resource.create({"service.name": service}))
    made.add_span_processor(SimpleSpanProcessor(FileSpanExporter(directory, max_bytes)))
    return made


def test_a_trace_across_two_processes_found_by_request_id_and_laid_out(tmp_path: Path) -> None:
    proxy = provider(tmp_path, "strangler-proxy")
    catalog = provider(tmp_path, "catalog", max_bytes=3000)  # rotates: both files are read
    carrier: dict[str, str] = {}
    tracer = proxy.get_tracer("t")
    with tracer.start_as_current_span("PATCH products", kind=SpanKind.SERVER) as root:
        root.set_attribute("strangler.request_id", "req-42")
        propagate.inject(carrier)  # the traceparent the catalog receives
    token = context.attach(propagate.extract(carrier))
    try:
        with catalog.get_tracer("django").start_as_current_span(
            "PATCH api/catalog/products/<int:pk>/", kind=SpanKind.SERVER
        ) as server:
            server.set_attribute("http.request.header.x_request_id", ("req-42",))
            for n in range(6):
                with catalog.get_tracer("db").start_as_current_span(f"UPDATE {n}") as db:
                    db.set_status(StatusCode.ERROR if n == 5 else StatusCode.UNSET)
    finally:
        context.detach(token)
    with tracer.start_as_current_span("GET other"):
        pass  # another trace in the same files
    trace_id = f"{root.get_span_context().trace_id:032x}"
    assert (tmp_path / f"catalog-{os.getpid()}.1.jsonl").exists()
    with (tmp_path / f"catalog-{os.getpid()}.jsonl").open("a") as half:
        half.write('{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": \n')  # broken
        half.write('{"resourceSpans": [{"scopeSpa')  # a writer caught mid-line

    assert trace_ids_for(read_spans(tmp_path), "req-42") == [trace_id]
    chart = find_trace(tmp_path, "req-42")
    assert chart is not None and chart == find_trace(tmp_path, trace_id.upper())
    assert chart.trace_id == trace_id
    assert chart.services == ("strangler-proxy", "catalog")
    assert [(row.depth, row.name) for row in chart.rows] == [
        (0, "PATCH products"),
        (1, "PATCH api/catalog/products/<int:pk>/"),
        *[(2, f"UPDATE {n}") for n in range(6)],
    ]
    first, second = chart.rows[:2]
    assert (first.kind, first.status, first.start_ms) == ("server", "unset", 0.0)
    assert second.parent_id == first.span_id and second.start_ms >= 0
    assert chart.rows[-1].status == "error"
    assert chart.duration_ms >= max(row.start_ms + row.duration_ms for row in chart.rows) - 0.002
    as_json = json.loads(json.dumps(chart.as_json()))
    assert as_json["rows"][1]["attributes"] == {"http.request.header.x_request_id": ["req-42"]}
    assert set(as_json["rows"][0]) == {
        "span_id", "parent_id", "depth", "service", "name", "kind", "start_ms",
        "duration_ms", "status", "attributes",
    }  # fmt: skip
    assert find_trace(tmp_path, "req-43") is None and find_trace(tmp_path / "none", "x") is None
    assert waterfall([], trace_id).rows == ()


def test_fifty_megabytes_of_spans_are_searched_in_well_under_seconds(tmp_path: Path) -> None:
    made = provider(tmp_path / "one", "strangler-proxy")
    tracer = made.get_tracer("t")
    with tracer.start_as_current_span("GET products") as span:
        span.set_attribute("strangler.request_id", "req-0000")
        span.set_attribute("url.path", "/api/products/" + "x" * 400)
    made.shutdown()
    (template,) = next((tmp_path / "one").iterdir()).read_text().splitlines()
    trace_id = f"{span.get_span_context().trace_id:032x}"
    # 128 spans a line as a batch holds; every line its own trace ids and request ids
    batch = ",".join([template.split('"spans":[', 1)[1].split("]}]}]}", 1)[0]] * 128)
    line = template.split('"spans":[', 1)[0] + '"spans":[' + batch + "]}]}]}\n"
    with (tmp_path / "big-1.jsonl").open("w") as out:
        for n in range(1, 1000):
            out.write(line.replace(trace_id, f"{n:032x}").replace("req-0000", f"req-{n:04d}"))
            if out.tell() > 50 << 20:
                break
    assert (tmp_path / "big-1.jsonl").stat().st_size > 50 << 20
    started = time.perf_counter()
    chart = find_trace(tmp_path, f"req-{n // 2:04d}")
    seconds = time.perf_counter() - started
    assert chart is not None and chart.trace_id == f"{n // 2:032x}" and len(chart.rows) == 1
    assert seconds < 3.0, f"{seconds:.2f} s to find a request id in 50 MB of spans"
