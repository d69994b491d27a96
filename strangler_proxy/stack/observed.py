"""What every process of ``strangler up`` is told so it can be seen (pure): traces, metrics.

Traces follow OpenTelemetry's own variables. Each process gets its service name
(``OTEL_SERVICE_NAME``) and, unless the user's environment picks its own exporter (an OTLP
endpoint, ``OTEL_TRACES_EXPORTER``: theirs pass through untouched), the embedded default: span
files under ``var/traces/`` (``strangler_files``), a ratio sampler that follows the parent's
decision (``--trace-sample``, unless the environment names its own sampler) and a short batch
delay, so a span is in its file half a second after it ends. ``--no-tracing`` sets
``OTEL_SDK_DISABLED=true``. The set-up tasks (migrate, seed, backfills) are not traced.

The Django apps (the monolith, the services) also get a multiprocess metrics folder of their
own, emptied before each start, and ``METRICS_TOKEN`` (read from ``var/metrics.token`` as
they start), the bearer their ``/metrics`` asks of Prometheus.

>>> from strangler_proxy.stack.options import StackOptions
>>> options = StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="/v")
>>> for name, value in sorted(tracing_env(options, "monolith").items()):
...     print(f"{name}={value}")
OTEL_BSP_SCHEDULE_DELAY=500
OTEL_SERVICE_NAME=legacy-monolith
OTEL_TRACES_EXPORTER=strangler_files
OTEL_TRACES_SAMPLER=parentbased_traceidratio
OTEL_TRACES_SAMPLER_ARG=1.0
STRANGLER_TRACES_DIR=/v/traces
>>> theirs = StackOptions.parse(
...     monolith_port=8000, seed_size="tiny", var_dir="/v",
...     environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, trace_sample=0.1,
... )
>>> for name, value in sorted(tracing_env(theirs, "relay").items()):  # their exporter
...     print(f"{name}={value}")
OTEL_SERVICE_NAME=strangler-relay
OTEL_TRACES_SAMPLER=parentbased_traceidratio
OTEL_TRACES_SAMPLER_ARG=0.1
>>> from dataclasses import replace
>>> tracing_env(replace(options, tracing=False), "proxy")
{'OTEL_SERVICE_NAME': 'strangler-proxy', 'OTEL_SDK_DISABLED': 'true'}
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from strangler_proxy.stack.options import StackOptions
from strangler_proxy.stack.parts import Scrape, ServiceSpec

#: ``OTEL_SERVICE_NAME`` of each process of the stack (the names its spans carry).
SERVICE_NAMES = MappingProxyType(
    {
        "monolith": "legacy-monolith",
        "catalog": "catalog",
        "notifications": "notifications",
        "proxy": "strangler-proxy",
        "relay": "strangler-relay",
        "deliverer": "strangler-deliverer",
    }
)
#: The Django apps: Prometheus metrics behind ``METRICS_TOKEN``, multiprocess under gunicorn.
DJANGO_APPS = frozenset({"monolith", "catalog", "notifications"})
#: The span-file exporter's entry-point name (strangler_proxy.telemetry.files).
FILES_EXPORTER = "strangler_files"
#: ms a finished span waits for its batch: in its file well within a second
BATCH_DELAY_MS = "500"


def tracing_env(options: StackOptions, name: str) -> dict[str, str]:
    """The OpenTelemetry variables of the process ``name`` (a key of ``SERVICE_NAMES``)."""
    env = {"OTEL_SERVICE_NAME": SERVICE_NAMES[name]}
    if not options.tracing:
        env["OTEL_SDK_DISABLED"] = "true"
        return env
    if not options.own_exporter:
        env["OTEL_TRACES_EXPORTER"] = FILES_EXPORTER
        env["STRANGLER_TRACES_DIR"] = str(options.traces_dir)
        env["OTEL_BSP_SCHEDULE_DELAY"] = BATCH_DELAY_MS
    if not options.own_sampler:
        env["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio"
        env["OTEL_TRACES_SAMPLER_ARG"] = str(options.trace_sample)
    return env


def observed(spec: ServiceSpec, options: StackOptions) -> ServiceSpec:
    """``spec`` with its tracing variables, and for a Django app its metrics (a fresh
    multiprocess folder, the token, the scrape). Others are returned as they are.

    >>> from strangler_proxy.stack.options import StackOptions
    >>> options = StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="/v")
    >>> app = observed(ServiceSpec("catalog", ("py",), 8101, "catalog.log"), options)
    >>> app.env["PROMETHEUS_MULTIPROC_DIR"], app.fresh_dirs, app.env_files["METRICS_TOKEN"]
    ('/v/metrics/catalog', (PosixPath('/v/metrics/catalog'),), PosixPath('/v/metrics.token'))
    >>> app.scrape.url, app.scrape.credentials_file
    ('http://127.0.0.1:8101/metrics', PosixPath('/v/metrics.token'))
    """
    if spec.name not in SERVICE_NAMES:
        return spec
    env = {**spec.env, **tracing_env(options, spec.name)}
    if spec.name not in DJANGO_APPS:
        return replace(spec, env=MappingProxyType(env))
    folder = options.metrics_dir(spec.name)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    token = options.metrics_token_file
    return replace(
        spec,
        env=MappingProxyType(env),
        env_files=MappingProxyType({**spec.env_files, "METRICS_TOKEN": token}),
        fresh_dirs=(*spec.fresh_dirs, folder),
        scrape=Scrape(spec.port, credentials_file=token, host=spec.host),
    )
