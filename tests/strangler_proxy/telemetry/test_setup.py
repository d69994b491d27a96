"""When a process traces, and to what: the enabling rule of the contract (DESIGN section 1)."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from strangler_proxy.telemetry import setup
from strangler_proxy.telemetry.files import FileSpanExporter
from strangler_proxy.telemetry.setup import TelemetryError, exporter_names, tracer_provider

ENDPOINT = "http://127.0.0.1:18101"


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({}, ()),  # off by default: nothing configured, nothing paid
        ({"OTEL_TRACES_EXPORTER": "none"}, ()),
        ({"OTEL_TRACES_EXPORTER": ""}, ()),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, ("otlp",)),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ENDPOINT + "/v1/traces"}, ("otlp",)),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_TRACES_EXPORTER": "none"}, ()),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_SDK_DISABLED": "true"}, ()),
        ({"OTEL_TRACES_EXPORTER": "strangler_files", "OTEL_SDK_DISABLED": "True"}, ()),
        (
            {"OTEL_TRACES_EXPORTER": "strangler_files", "OTEL_SDK_DISABLED": "false"},
            ("strangler_files",),
        ),
        ({"OTEL_TRACES_EXPORTER": "Console,otlp"}, ("console", "otlp")),
    ],
)
def test_the_enabling_rule(environ: dict[str, str], names: tuple[str, ...]) -> None:
    assert exporter_names(environ) == names
    if not names:
        assert tracer_provider("catalog", environ) is None


def test_exporters_by_name(tmp_path: Path) -> None:
    def made(name: str) -> object:
        return setup._exporter(name, {"STRANGLER_TRACES_DIR": str(tmp_path)})

    assert isinstance(made("otlp"), OTLPSpanExporter)  # OTLP/HTTP protobuf
    sent_to = setup._exporter("otlp", {"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT})
    assert isinstance(sent_to, OTLPSpanExporter)
    assert sent_to._endpoint == ENDPOINT + "/v1/traces"  # the environment given, not os.environ
    assert isinstance(made("otlp_proto_http"), OTLPSpanExporter)
    assert isinstance(made("console"), ConsoleSpanExporter)  # any entry point, by name
    assert isinstance(made("strangler_files"), FileSpanExporter)


def test_configuration_errors_name_the_variable() -> None:
    with pytest.raises(TelemetryError) as unknown:
        tracer_provider("catalog", {"OTEL_TRACES_EXPORTER": "jaeger"})
    message = str(unknown.value)
    assert "OTEL_TRACES_EXPORTER='jaeger'" in message
    for known in ("none", "otlp", "console", "strangler_files"):
        assert known in message
    with pytest.raises(TelemetryError, match="STRANGLER_TRACES_DIR"):
        tracer_provider("catalog", {"OTEL_TRACES_EXPORTER": "strangler_files"})
    assert issubclass(TelemetryError, ValueError)


def test_files_provider_names_the_service_as_otel_service_name_says(tmp_path: Path) -> None:
    environ = {"OTEL_TRACES_EXPORTER": "strangler_files", "STRANGLER_TRACES_DIR": str(tmp_path)}
    for extra, service in [({}, "catalog"), ({"OTEL_SERVICE_NAME": "catalog-eu"}, "catalog-eu")]:
        provider = tracer_provider("catalog", environ | extra)
        assert provider is not None
        provider.get_tracer("t").start_span("GET x").end()
        provider.shutdown()  # the batch processor flushes
        (line,) = (tmp_path / f"{service}-{os.getpid()}.jsonl").read_text().splitlines()
        resource = json.loads(line)["resourceSpans"][0]["resource"]["attributes"]
        assert {"key": "service.name", "value": {"stringValue": service}} in resource


def test_an_otlp_endpoint_receives_the_spans_as_otlp_http_protobuf() -> None:
    received: list[tuple[str, str, bytes]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        provider = tracer_provider("strangler-proxy", {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
        assert provider is not None
        provider.get_tracer("t").start_span("GET products").end()
        provider.shutdown()  # flushes the batch: one POST
    finally:
        server.shutdown()
        server.server_close()
    ((path, content_type, body),) = received
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    sent = ExportTraceServiceRequest.FromString(body).resource_spans[0]
    assert sent.scope_spans[0].spans[0].name == "GET products"
    resource = {a.key: a.value.string_value for a in sent.resource.attributes}
    assert resource["service.name"] == "strangler-proxy"
