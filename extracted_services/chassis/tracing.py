"""Whether and how a service traces: the toolkit's one rule (OpenTelemetry's own variables).

Off unless configured, so the tests and ``manage.py`` pay nothing: ``OTEL_SDK_DISABLED=true``
is off; else the exporters are ``OTEL_TRACES_EXPORTER``, or ``otlp`` when an OTLP endpoint
is set, else none. ``otlp`` is the OTLP/HTTP exporter (it reads ``OTEL_EXPORTER_OTLP_*``);
any other name is loaded from the entry-point group ``opentelemetry_traces_exporter``
(``console``, the toolkit's ``strangler_files``), by name: the services never import the
toolkit.

>>> exporter_names({})
[]
>>> exporter_names({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
['otlp']
>>> exporter_names({"OTEL_TRACES_EXPORTER": "strangler_files, console"})
['strangler_files', 'console']
>>> exporter_names({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "x"})
[]
>>> exporter_names({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "TRUE"})
[]
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from importlib.metadata import entry_points

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from extracted_services.chassis import spans

GROUP = "opentelemetry_traces_exporter"
#: scrapes every 2 s are no user's request: kept out of the traces (anchored: only /metrics)
METRICS_URL = r"^https?://[^/]+/metrics$"


def exporter_names(environ: Mapping[str, str]) -> list[str]:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    named = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not named and any(
        environ.get(v)
        for v in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        named = "otlp"
    return [name for name in (n.strip() for n in named.split(",")) if name and name != "none"]


def exporter(name: str) -> SpanExporter:
    """The exporter called ``name``; ``ValueError`` naming the variable and the known names."""
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    found = {point.name: point for point in entry_points(group=GROUP)}
    if name not in found:
        known = ", ".join(sorted({"none", "otlp", *found}))
        raise ValueError(f"OTEL_TRACES_EXPORTER={name}: no such trace exporter (known: {known})")
    made: SpanExporter = found[name].load()()
    return made


def tracer_provider(
    default_service: str, environ: Mapping[str, str] = os.environ
) -> TracerProvider | None:
    """The provider the environment asks for (``None``: off); touches no global."""
    names = exporter_names(environ)
    if not names:
        return None
    service = environ.get("OTEL_SERVICE_NAME") or default_service
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(exporter(name)))
    return provider


def start_tracing(default_service: str, database_engine: str) -> bool:
    """Once per process, before Django loads its middleware (``wsgi.py``): the global
    provider, Django's server spans and the database's client spans. ``False``: off."""
    provider = tracer_provider(default_service)
    if provider is None:
        return False
    trace.set_tracer_provider(provider)
    atexit.register(provider.shutdown)  # the last batch is written when a worker exits
    # the stable HTTP attribute names (http.request.method, url.path, ...), as the proxy's spans
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    from opentelemetry.instrumentation.django import DjangoInstrumentor

    excluded = os.environ.get("OTEL_PYTHON_DJANGO_EXCLUDED_URLS") or os.environ.get(
        "OTEL_PYTHON_EXCLUDED_URLS"
    )
    DjangoInstrumentor().instrument(
        excluded_urls=excluded or METRICS_URL, request_hook=spans.request_hook
    )
    if "sqlite3" in database_engine:
        from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

        SQLite3Instrumentor().instrument()
    elif "postgresql" in database_engine:
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

        PsycopgInstrumentor().instrument()
    spans.enable()
    return True
