"""``strangler up``'s options, checked before anything starts (pure but for the var dir's
"can it be made?" look at the file system).

>>> options = StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="/srv/var")
>>> options.catalog_url, options.events_token_file, options.broker
('http://127.0.0.1:8101', PosixPath('/srv/var/events.token'), 'embedded')
>>> StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="v", catalog_port=8080)
Traceback (most recent call last):
...
strangler_proxy.stack.options.StackSpecError: --catalog-port: port 8080 is taken by ...
>>> StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="v", trace_sample=2.0)
Traceback (most recent call last):
...
strangler_proxy.stack.options.StackSpecError: --trace-sample: a fraction 0-1, got 2.0
>>> mine = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}  # the user's collector
>>> StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="v", environ=mine).own_exporter
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from strangler_proxy.events.sources import EMBEDDED
from strangler_proxy.stack.parts import LOOPBACK

#: ``manage.py seed_shop --size`` choices (legacy_monolith.common.seed_sizes.SIZES; the
#: toolkit never imports the monolith, so a test keeps the two equal)
SEED_SIZES = ("tiny", "small", "default", "large")
#: Variables by which the user's environment picks its own trace exporter (theirs are kept).
EXPORTER_VARIABLES = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)


class StackSpecError(ValueError):
    """A bad ``strangler up`` option; ``option`` names it."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


@dataclass(frozen=True)
class StackOptions:
    monolith_port: int = 8000
    seed_size: str = "default"
    var_dir: Path = field(default_factory=lambda: Path("var"))
    proxy_port: int = 8080
    admin_port: int = 8081
    catalog_port: int = 8101
    notifications_port: int = 8102
    #: ``embedded`` (the outbox is the queue) or a ``nats://`` URL
    broker: str = EMBEDDED
    #: The monolith's ``DATABASE_URL`` when the environment gives one (None: its SQLite
    #: file in the var dir); the relay reads its outbox there.
    monolith_database_url: str | None = None
    #: ``--metrics-listen`` of the relay and the deliverer (plain HTTP, loopback)
    relay_metrics_port: int = 8091
    deliverer_metrics_port: int = 8092
    #: ``--no-tracing``: every process gets ``OTEL_SDK_DISABLED=true``
    tracing: bool = True
    #: ``--trace-sample``: the fraction of new traces kept (``parentbased_traceidratio``)
    trace_sample: float = 1.0
    #: The user's environment picks a trace exporter (an OTLP endpoint, ...): it is kept,
    #: and ``up`` sets only each process's service name.
    own_exporter: bool = False
    #: ... or a sampler (``OTEL_TRACES_SAMPLER``): kept, ``--trace-sample`` not applied.
    own_sampler: bool = False
    #: ``--prometheus``: a Prometheus server scraping every process, on ``prometheus_port``
    prometheus: bool = False
    prometheus_port: int = 9090

    @classmethod
    def parse(
        cls,
        *,
        monolith_port: int,
        seed_size: str,
        var_dir: str | Path,
        proxy_port: int = 8080,
        admin_port: int = 8081,
        catalog_port: int = 8101,
        notifications_port: int = 8102,
        broker: str = EMBEDDED,
        monolith_database_url: str | None = None,
        relay_metrics_port: int = 8091,
        deliverer_metrics_port: int = 8092,
        tracing: bool = True,
        trace_sample: float = 1.0,
        prometheus: bool = False,
        prometheus_port: int = 9090,
        environ: Mapping[str, str] | None = None,
    ) -> StackOptions:
        ports = {
            "--monolith-port": monolith_port,
            "--proxy-port": proxy_port,
            "--admin-port": admin_port,
            "--catalog-port": catalog_port,
            "--notifications-port": notifications_port,
            "--relay-metrics-port": relay_metrics_port,
            "--deliverer-metrics-port": deliverer_metrics_port,
            **({"--prometheus-port": prometheus_port} if prometheus else {}),
        }
        seen: dict[int, str] = {}
        for option, port in ports.items():
            if not 1 <= port <= 65535:
                raise StackSpecError(option, f"must be a TCP port 1-65535, got {port}")
            if port in seen:
                raise StackSpecError(option, f"port {port} is taken by {seen[port]} already")
            seen[port] = option
        if seed_size not in SEED_SIZES:
            raise StackSpecError(
                "--seed-size", f"expected one of {', '.join(SEED_SIZES)}, got {seed_size!r}"
            )
        if broker != EMBEDDED and not _is_nats_url(broker):
            raise StackSpecError(
                "--broker", f"expected {EMBEDDED} or nats://HOST:PORT, got {broker!r}"
            )
        if not 0.0 <= trace_sample <= 1.0:
            raise StackSpecError("--trace-sample", f"a fraction 0-1, got {trace_sample}")
        environ = environ or {}
        path = Path(var_dir)
        if path.exists() and not path.is_dir():
            raise StackSpecError("--var-dir", f"{path} exists and is not a directory")
        _check_creatable(path)
        return cls(
            monolith_port=monolith_port,
            seed_size=seed_size,
            var_dir=path.resolve(),
            proxy_port=proxy_port,
            admin_port=admin_port,
            catalog_port=catalog_port,
            notifications_port=notifications_port,
            broker=broker,
            monolith_database_url=monolith_database_url or None,
            relay_metrics_port=relay_metrics_port,
            deliverer_metrics_port=deliverer_metrics_port,
            tracing=tracing,
            trace_sample=trace_sample,
            own_exporter=any(environ.get(name) for name in EXPORTER_VARIABLES),
            own_sampler=bool(environ.get("OTEL_TRACES_SAMPLER")),
            prometheus=prometheus,
            prometheus_port=prometheus_port,
        )

    @property
    def report_dir(self) -> Path:
        return self.var_dir / "report"

    @property
    def report_json(self) -> Path:
        return self.report_dir / "report.json"

    @property
    def store_url(self) -> str:
        """The flag store (routes, service registry) as ``strangler`` commands take it."""
        return f"sqlite:///{self.var_dir / 'flags.sqlite3'}"

    @property
    def token_file(self) -> Path:
        return self.var_dir / "admin.token"

    @property
    def events_token_file(self) -> Path:
        """The bearer the deliverer presents at every inbox (``EVENTS_TOKEN``), 0600."""
        return self.var_dir / "events.token"

    @property
    def metrics_token_file(self) -> Path:
        """The bearer a scrape presents at the Django apps' ``/metrics`` (``METRICS_TOKEN``),
        0600."""
        return self.var_dir / "metrics.token"

    @property
    def token_files(self) -> tuple[Path, Path, Path]:
        """The token files ``up`` keeps: the admin API's, the events' and the metrics'."""
        return self.token_file, self.events_token_file, self.metrics_token_file

    @property
    def dead_letters_url(self) -> str:
        """Where the relay and the deliverer park events no inbox took (the dashboard's)."""
        return f"sqlite:///{self.var_dir / 'dead-letters.sqlite3'}"

    @property
    def traces_dir(self) -> Path:
        """Where every process writes its spans (``STRANGLER_TRACES_DIR``)."""
        return self.var_dir / "traces"

    @property
    def prometheus_dir(self) -> Path:
        """Prometheus's generated configuration, its rules and (``data/``) its database."""
        return self.var_dir / "prometheus"

    def metrics_dir(self, name: str) -> Path:
        """A Django app's multiprocess metrics (``PROMETHEUS_MULTIPROC_DIR``)."""
        return self.var_dir / "metrics" / name

    @property
    def monolith_db(self) -> str:
        """The monolith's database URL (its ``DATABASE_URL``, or SQLite in the var dir)."""
        return self.monolith_database_url or f"sqlite:///{self.var_dir / 'monolith.sqlite3'}"

    @property
    def monolith_url(self) -> str:
        return f"http://{LOOPBACK}:{self.monolith_port}"

    @property
    def catalog_url(self) -> str:
        return f"http://{LOOPBACK}:{self.catalog_port}"

    @property
    def notifications_url(self) -> str:
        return f"http://{LOOPBACK}:{self.notifications_port}"


def _is_nats_url(url: str) -> bool:
    """
    >>> _is_nats_url("nats://127.0.0.1:4222"), _is_nats_url("127.0.0.1:4222")
    (True, False)
    """
    parts = urlsplit(url)
    return parts.scheme == "nats" and bool(parts.hostname)


def _check_creatable(path: Path) -> None:
    """``path`` is a folder, or one ``mkdir -p`` can make (its nearest existing parent is a
    writable folder): a var dir that cannot be made is named before any work starts."""
    found = path.absolute()
    while not found.exists() and found != found.parent:
        found = found.parent
    if found == path.absolute():
        return
    if not found.is_dir():
        raise StackSpecError("--var-dir", f"cannot create {path}: {found} is not a directory")
    if not os.access(found, os.W_OK | os.X_OK):
        raise StackSpecError("--var-dir", f"cannot create {path}: {found} is not writable")
