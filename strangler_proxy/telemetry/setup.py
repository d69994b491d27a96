"""Whether and where a process traces: OpenTelemetry's standard variables, read one way.

- ``OTEL_SDK_DISABLED=true``: off.
- the exporter is ``OTEL_TRACES_EXPORTER`` when set, else ``otlp`` when an OTLP endpoint
  (``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set, else
  ``none``: a process with nothing configured pays nothing (the spec's default is otlp).
- ``none``: off; ``otlp``: OTLP/HTTP protobuf (it reads ``OTEL_EXPORTER_OTLP_*`` itself);
  any other name: the entry point of that name in the group ``opentelemetry_traces_exporter``
  (``strangler_files``, ``console``, ``otlp_proto_http``, ...). A comma list exports to each.
- the service name: ``OTEL_SERVICE_NAME``, else the process's own name (other resource
  attributes come from ``OTEL_RESOURCE_ATTRIBUTES`` as the SDK reads it).
- the sampler is the SDK's reading of ``OTEL_TRACES_SAMPLER[_ARG]``, the batching its
  reading of ``OTEL_BSP_*``.

>>> exporter_names({})
()
>>> exporter_names({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
('otlp',)
>>> exporter_names({"OTEL_TRACES_EXPORTER": "strangler_files, console"})
('strangler_files', 'console')
>>> exporter_names({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "TRUE"})
()
>>> service_name("catalog", {}), service_name("catalog", {"OTEL_SERVICE_NAME": "catalog-eu"})
('catalog', 'catalog-eu')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.metadata import entry_points

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from strangler_proxy.telemetry.errors import TelemetryError
from strangler_proxy.telemetry.files import DIR_VARIABLE, FileSpanExporter

__all__ = ["TelemetryError", "exporter_names", "service_name", "start_tracing", "tracer_provider"]

GROUP = "opentelemetry_traces_exporter"
EXPORTER_VARIABLE = "OTEL_TRACES_EXPORTER"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
TRACER_NAME = "strangler_proxy"


def exporter_names(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The exporters this environment asks for; empty when tracing is off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return ()
    chosen = environ.get(EXPORTER_VARIABLE, "").strip()
    if not chosen:
        chosen = "otlp" if any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES) else ""
    names = (name.strip().lower() for name in chosen.split(","))
    return tuple(dict.fromkeys(name for name in names if name and name != "none"))


def service_name(default: str, environ: Mapping[str, str]) -> str:
    """``OTEL_SERVICE_NAME`` when set, else the process's own name."""
    return environ.get("OTEL_SERVICE_NAME", "").strip() or default


def otlp_endpoint(environ: Mapping[str, str]) -> str | None:
    """Where OTLP/HTTP sends spans; None leaves it to the exporter (localhost:4318).

    >>> otlp_endpoint({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"})
    'http://collector:4318/v1/traces'
    """
    if traces := environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip():
        return traces  # used as it is, signal path included
    if base := environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
        return base.rstrip("/") + "/v1/traces"
    return None


def _exporter(name: str, environ: Mapping[str, str]) -> SpanExporter:
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # the endpoint from the environment given (the same rule the exporter applies to
        # os.environ); headers, certificates, timeout and compression it reads itself
        return OTLPSpanExporter(endpoint=otlp_endpoint(environ))
    if name == "strangler_files":
        # the environment given (not only os.environ) says where: tests and stacks pass theirs
        directory = environ.get(DIR_VARIABLE, "").strip()
        if not directory:
            raise TelemetryError(
                f"{EXPORTER_VARIABLE}=strangler_files writes span files under {DIR_VARIABLE}, "
                f"which is not set"
            )
        return FileSpanExporter(directory)
    found = entry_points(group=GROUP, name=name)
    if not found:
        known = sorted({"none", "otlp", *(point.name for point in entry_points(group=GROUP))})
        raise TelemetryError(
            f"{EXPORTER_VARIABLE}={environ.get(EXPORTER_VARIABLE, name)!r}: no trace exporter "
            f"named {name!r}; known: {', '.join(known)}"
        )
    point = next(iter(found))
    try:
        exporter = point.load()()
    except TelemetryError:
        raise
    except Exception as error:  # a third-party exporter failing to load or start
        raise TelemetryError(f"the trace exporter {name!r} did not start: {error}") from error
    if not isinstance(exporter, SpanExporter):
        raise TelemetryError(f"the trace exporter {name!r} ({point.value}) is not a SpanExporter")
    return exporter


def tracer_provider(
    default_service: str, environ: Mapping[str, str] = os.environ
) -> TracerProvider | None:
    """A provider exporting as ``environ`` says, or None when tracing is off (no globals set).

    Raises :class:`TelemetryError` on a configuration it cannot follow. The provider shuts
    down (flushing its batches) at interpreter exit.
    """
    names = exporter_names(environ)
    if not names:
        return None
    exporters = [_exporter(name, environ) for name in names]
    resource = Resource.create({SERVICE_NAME: service_name(default_service, environ)})
    # the sampler: the SDK reads OTEL_TRACES_SAMPLER[_ARG]; at exit it flushes and shuts down
    provider = TracerProvider(resource=resource, shutdown_on_exit=True)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def start_tracing(default_service: str) -> trace.Tracer | None:
    """Once per process, at its composition root: the global provider and this tracer.

    None when tracing is off (and nothing global is touched). Spans still batched at exit are
    flushed then.
    """
    provider = tracer_provider(default_service)
    if provider is None:
        return None
    trace.set_tracer_provider(provider)
    return provider.get_tracer(TRACER_NAME)
