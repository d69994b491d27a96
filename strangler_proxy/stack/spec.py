"""What ``strangler up`` runs, as data (pure): one-shot preparation tasks and long-running services.

Set-up first (migrate, seed an empty database, analyze the monolith into ``var/report/``,
import its routes into ``var/flags.sqlite3``, make ``var/admin.token``,
``var/events.token`` and ``var/metrics.token``, register the extracted services with the
proxy), then the monolith (127.0.0.1:8000), the catalog service (8101; backfilled from the
monolith while it is empty), the notifications service (8102) and the proxy in front of them
all (127.0.0.1:8080, admin API on 127.0.0.1:8081), with the events' relay between them
(embedded unless ``--broker``). The extracted services are in :mod:`.extracted`, the
relay in :mod:`.messaging`.

>>> options = StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="var")
>>> stack = default_stack(
...     options, python="python", manage_py=Path("/src/shop/manage.py"), strangler=("strangler",)
... )
>>> [task.name for task in stack.prepare]
['migrate', 'seed', 'analyze', 'routes', 'tokens', 'register', 'backfill', 'backfill-notifications']
>>> [s.name for s in stack.services]
['monolith', 'catalog', 'notifications', 'relay', 'proxy']
>>> stack.services[-1].url, stack.services[-1].listeners[0].url
('http://127.0.0.1:8080', 'http://127.0.0.1:8081')

Every process is traced and measured (:mod:`.observed`); with ``--prometheus`` a Prometheus
server starts last, scraping them all (:mod:`.prometheus`), its files generated here:

>>> from dataclasses import replace
>>> observed = default_stack(
...     replace(options, prometheus=True), python="python",
...     manage_py=Path("/src/shop/manage.py"), strangler=("strangler",), prometheus="prometheus",
... )
>>> [s.name for s in observed.services if s.scrape]
['monolith', 'catalog', 'notifications', 'relay', 'proxy', 'prometheus']
>>> sorted(path.name for path in observed.files)
['prometheus.yml', 'strangler.rules.yml']
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from types import MappingProxyType

from strangler_proxy.events.sources import EMBEDDED
from strangler_proxy.stack.extracted import (
    EXTRACTED,
    ISSUER,
    extracted_services,
    registration_task,
)
from strangler_proxy.stack.messaging import event_sources, events_services
from strangler_proxy.stack.monolith import MONOLITH_GUNICORN_CONF, gunicorn_argv, monolith_env
from strangler_proxy.stack.observed import observed
from strangler_proxy.stack.options import SEED_SIZES, StackOptions, StackSpecError
from strangler_proxy.stack.parts import (
    EMPTY_DATABASE,
    LOOPBACK,
    Account,
    Bind,
    Listener,
    Scrape,
    ServiceSpec,
    StackSpec,
    Task,
)
from strangler_proxy.stack.prometheus import MISSING, prometheus_files, prometheus_service

__all__ = [
    "CREATED_STORE",
    "EMPTY_DATABASE",
    "LOOPBACK",
    "SEED_SIZES",
    "Account",
    "Bind",
    "Listener",
    "ServiceSpec",
    "StackOptions",
    "StackSpec",
    "StackSpecError",
    "Task",
    "default_stack",
]

#: What ``strangler routes import`` prints when it made the flag store (``up`` repeats it).
CREATED_STORE = re.compile(r"^created flag store .+$", re.M)
#: Generic Django, so it knows nothing of the monolith's own models: seeded means it has users.
_HAS_USERS = (
    "import sys; from django.contrib.auth import get_user_model; "
    f"sys.exit(0 if get_user_model().objects.exists() else {EMPTY_DATABASE})"
)


def monolith_tasks(options: StackOptions, *, python: str, manage_py: Path) -> tuple[Task, ...]:
    """Migrate always (a new version may bring migrations); seed only an empty database."""
    manage = (python, str(manage_py))
    return (
        Task("migrate", (*manage, "migrate", "--noinput"), title="migrate the database"),
        Task(
            "seed",
            (*manage, "seed_shop", "--size", options.seed_size),
            skip_probe=(*manage, "shell", "-v", "0", "-c", _HAS_USERS),
            skip_reason="the database has data already",
            echo=True,
            title=f"seed the database ({options.seed_size})",
        ),
    )


def analysis_tasks(
    options: StackOptions, *, python: str, manage_py: Path, strangler: tuple[str, ...]
) -> tuple[Task, ...]:
    """The report, the route table imported from it (flags kept), and the admin token.

    The analysis is optional: when it fails the routes come from the source instead.
    """
    source = str(manage_py.parent)
    store = ("--store", options.store_url)
    return (
        Task(
            "analyze",
            (*strangler, "analyze", source, "--out", str(options.report_dir)),
            optional=True,
            title="analyze the monolith statically",
        ),
        Task(
            "routes",
            (*strangler, "routes", "import", "--from", str(options.report_json), *store),
            fallback_after="analyze",
            fallback_argv=(*strangler, "routes", "import", "--source", source, *store),
            title="import the route table",
            tell=CREATED_STORE,
        ),
        Task(
            "tokens",
            (python, "-m", "strangler_proxy.stack.token", *map(str, options.token_files)),
            title="admin API and events tokens",
        ),
    )


def monolith_service(options: StackOptions, *, python: str) -> ServiceSpec:
    """The monolith under gunicorn (gthread, 2 workers) on loopback."""
    return ServiceSpec(
        name="monolith",
        argv=(
            *gunicorn_argv(
                python, options.monolith_port, host=LOOPBACK, config=MONOLITH_GUNICORN_CONF
            ),
            *("--access-logfile", "-", "--pid", str(options.var_dir / "run" / "monolith.pid")),
        ),
        port=options.monolith_port,
        option="--monolith-port",
        log_name="monolith.log",
        notes=(
            "Django + DRF shop, gunicorn gthread x2; ID provider: "
            "/.well-known/jwks.json, POST /api/auth/jwt/",
        ),
        # its inbox (/internal/events/) takes the catalog's events once writes move there
        env_files=MappingProxyType({"EVENTS_TOKEN": options.events_token_file}),
        accounts=(
            Account("customers", "customer0001, customer0002, ...", "shop-demo-pass"),
            Account("staff", "staff", "staff-demo-pass"),
        ),
    )


def proxy_service(
    options: StackOptions, *, strangler: tuple[str, ...], extracted: Collection[str] = EXTRACTED
) -> ServiceSpec:
    """``strangler proxy run`` in front of the monolith, its admin API on its own port, with
    what its dashboard shows: the report, the spans, the events' outboxes (and broker).

    Its health URL goes through it to the monolith's ``/health/`` (unmatched: the monolith).
    """
    events: tuple[str, ...] = ()
    if extracted:  # a relay runs: its outboxes (and its broker) are the events panel's
        events = tuple(x for source in event_sources(options, extracted)
                       for x in ("--events-source", source))  # fmt: skip
        events += ("--events-dead-letters", options.dead_letters_url)
        if options.broker != EMBEDDED:
            events += ("--events-broker", options.broker)
    return ServiceSpec(
        name="proxy",
        argv=(
            *(*strangler, "proxy", "run"),
            *("--listen", f"{LOOPBACK}:{options.proxy_port}"),
            *("--monolith", f"http://{LOOPBACK}:{options.monolith_port}"),
            *("--store", options.store_url, "--workers", "1"),
            *("--admin-listen", f"{LOOPBACK}:{options.admin_port}"),
            *("--admin-token-file", str(options.token_file)),
            *("--graceful-seconds", "5"),
            *("--access-log", str(options.var_dir / "logs" / "access.log")),
            *("--report", str(options.report_json), "--traces-dir", str(options.traces_dir)),
            *events,
        ),
        port=options.proxy_port,
        option="--proxy-port",
        log_name="proxy.log",
        notes=(
            "the public entry: routes each endpoint by its flag (1 worker); "
            "X-Strangler-Served-By says who answered, logs/access.log each request",
        ),
        listeners=(Listener("admin API", options.admin_port, "/health", option="--admin-port"),),
        scrape=Scrape(options.admin_port, credentials_file=options.token_file),
    )


def default_stack(
    options: StackOptions,
    *,
    python: str,
    manage_py: Path,
    strangler: tuple[str, ...],
    extracted: Collection[str] = EXTRACTED,
    prometheus: str | None = None,
) -> StackSpec:
    """Everything ``strangler up`` runs; ``strangler`` is how to call the CLI itself, and
    ``extracted`` names the extracted services installed here (a missing one is left out);
    ``prometheus`` is the Prometheus binary (``--prometheus``).

    The extracted services start between the monolith (whose API the catalog's backfill
    reads, whose keys they verify tokens with) and the proxy (which routes to them), then
    the relay (and the deliverer, with a broker), once every inbox answers.
    """
    services, tasks = extracted_services(
        options, python=python, manage_py=manage_py, extracted=extracted
    )
    running = tuple(
        observed(spec, options)
        for spec in (
            monolith_service(options, python=python),
            *services,
            *events_services(options, strangler=strangler, extracted=extracted),
            proxy_service(options, strangler=strangler, extracted=extracted),
        )
    )
    files: dict[Path, str] = {}
    spans = options.tracing and not options.own_exporter  # the span files are ours to keep
    dirs: tuple[Path, ...] = (options.traces_dir,) if spans else ()
    if options.prometheus:
        if prometheus is None:
            raise StackSpecError("--prometheus", MISSING)
        running += (prometheus_service(options, prometheus),)
        files = prometheus_files(options, running)
        dirs += (options.prometheus_dir / "data",)
    return StackSpec(
        var_dir=options.var_dir,
        cwd=manage_py.parent.parent,
        env=MappingProxyType(
            {
                **monolith_env(options.var_dir, options.monolith_database_url),
                "JWT_ISSUER": ISSUER,
            }
        ),
        prepare=(
            *monolith_tasks(options, python=python, manage_py=manage_py),
            *analysis_tasks(options, python=python, manage_py=manage_py, strangler=strangler),
            *([registration_task(options, services, python=python)] if services else []),
            *tasks,
        ),
        services=running,
        files=MappingProxyType(files),
        dirs=dirs,
    )
