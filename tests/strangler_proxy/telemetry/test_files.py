"""The span-file exporter: real spans from a real TracerProvider, read back as OTLP/JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, StatusCode

from strangler_proxy.telemetry.files import FileSpanExporter
from strangler_proxy.telemetry.setup import TelemetryError


def spans_in(path: Path) -> list[dict[str, Any]]:
    found = []
    for line in path.read_text().splitlines():
        for resource_spans in json.loads(line)["resourceSpans"]:
            for scope_spans in resource_spans["scopeSpans"]:
                found.extend(scope_spans["spans"])
    return found


def test_spans_land_in_the_process_file_as_otlp_json_with_hex_ids(tmp_path: Path) -> None:
    exporter = FileSpanExporter(tmp_path / "traces")  # created with its dir
    provider = TracerProvider(resource=Resource.create({"service.name": "catalog"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("GET products", kind=SpanKind.SERVER) as root:
        root.set_attribute("strangler.request_id", "req-1")
        with tracer.start_as_current_span("SELECT", links=[Link(root.get_span_context())]) as db:
            db.set_status(StatusCode.ERROR, "boom")
    provider.shutdown()

    path = tmp_path / "traces" / f"catalog-{os.getpid()}.jsonl"
    assert path.read_bytes().endswith(b"\n")
    lines = path.read_text().splitlines()
    assert len(lines) == 2  # one whole line per export
    first = json.loads(lines[0])["resourceSpans"][0]
    assert {"key": "service.name", "value": {"stringValue": "catalog"}} in first["resource"][
        "attributes"
    ]
    child, parent = spans_in(path)
    context = root.get_span_context()
    assert parent["traceId"] == f"{context.trace_id:032x}" == child["traceId"]
    assert parent["spanId"] == f"{context.span_id:016x}" == child["parentSpanId"]
    link = child["links"][0]
    assert (link["traceId"], link["spanId"]) == (parent["traceId"], parent["spanId"])
    assert parent["kind"] == 2 and child["kind"] == 1  # enums as integers, as OTLP/JSON says
    assert isinstance(parent["startTimeUnixNano"], str)  # int64 as a string
    assert child["status"] == {"code": 2, "message": "boom"}
    assert {"key": "strangler.request_id", "value": {"stringValue": "req-1"}} in parent[
        "attributes"
    ]
    assert "parentSpanId" not in parent


def test_rotation_keeps_one_old_file(tmp_path: Path) -> None:
    exporter = FileSpanExporter(tmp_path, max_bytes=2000)
    provider = TracerProvider(resource=Resource.create({"service.name": "relay"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    for n in range(40):
        provider.get_tracer("t").start_span(f"span {n}").end()
    names = sorted(p.name for p in tmp_path.iterdir())
    pid = os.getpid()
    assert names == [f"relay-{pid}.1.jsonl", f"relay-{pid}.jsonl"]
    assert all(p.stat().st_size <= 2000 for p in tmp_path.iterdir())
    last = spans_in(tmp_path / f"relay-{pid}.jsonl")[-1]
    assert last["name"] == "span 39"


def test_a_starting_process_removes_the_oldest_files_of_gone_processes(tmp_path: Path) -> None:
    """Past ``keep_bytes``, the oldest files go first, but never a running process's (its
    own, or the parent's here) nor what is not a span file."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead, parent = int(gone.stdout), os.getppid()
    files = {  # name: (size, age in minutes)
        f"catalog-{dead}.1.jsonl": (400, 30), f"catalog-{dead}.jsonl": (400, 20),
        f"proxy-{parent}.jsonl": (400, 40), f"relay-{dead}.jsonl": (400, 10),
        "notes.txt": (400, 50),
    }  # fmt: skip
    for name, (size, minutes) in files.items():
        (tmp_path / name).write_bytes(b"x" * size)
        os.utime(tmp_path / name, (time.time() - 60 * minutes,) * 2)
    FileSpanExporter(tmp_path, keep_bytes=900)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["notes.txt", f"proxy-{parent}.jsonl", f"relay-{dead}.jsonl"]
    )


def test_made_by_entry_point_with_no_arguments_reads_the_dir_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (point,) = entry_points(group="opentelemetry_traces_exporter", name="strangler_files")
    monkeypatch.delenv("STRANGLER_TRACES_DIR", raising=False)
    with pytest.raises(TelemetryError, match="STRANGLER_TRACES_DIR"):
        point.load()()
    monkeypatch.setenv("STRANGLER_TRACES_DIR", str(tmp_path / "t"))
    exporter = point.load()()
    assert isinstance(exporter, FileSpanExporter) and exporter.directory == tmp_path / "t"
    assert (tmp_path / "t").is_dir()


SCRIPT = textwrap.dedent(
    """
    import os, sys
    from strangler_proxy.telemetry.setup import start_tracing
    tracer = start_tracing("strangler-relay")
    with tracer.start_as_current_span("before fork"):
        pass
    pid = os.fork()
    name = "parent" if pid else "child"
    with tracer.start_as_current_span(name):
        pass
    if pid:
        os.waitpid(pid, 0)
    print(os.getpid(), flush=True)
    sys.exit(0)  # no flush by hand: the provider's exit hook writes the batches
    """
)


def test_a_forked_worker_writes_its_own_file_and_batches_flush_at_exit(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env |= {"OTEL_TRACES_EXPORTER": "strangler_files", "STRANGLER_TRACES_DIR": str(tmp_path)}
    env["OTEL_BSP_SCHEDULE_DELAY"] = "60000"  # nothing leaves before exit unless flushed
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    child, parent = done.stdout.split()
    by_pid = {p.name: sorted(s["name"] for s in spans_in(p)) for p in tmp_path.iterdir()}
    assert by_pid == {
        f"strangler-relay-{parent}.jsonl": ["before fork", "parent"],
        f"strangler-relay-{child}.jsonl": ["child"],
    }
