"""The extracted services in ``strangler up`` (pure): each its own process, var dir and
database, registered with the proxy before it starts, verifying the monolith's tokens.

- ``catalog``: ``python -m extracted_services.catalog --port 8101`` (migrates, then serves),
  state in ``var/catalog/``; backfilled from the monolith's API once it is up, while the
  catalog is still empty (the ``backfill`` task, after ``catalog``).
- ``notifications``: ``python -m extracted_services.notifications --port 8102``, state in
  ``var/notifications/``; its templates, orders and notifications copied from the
  monolith's database once it is up and while it has no templates, then fed by events.

Both get ``EVENTS_TOKEN`` (read from ``var/events.token`` as they start: never in an argv),
``JWKS_URL`` (the monolith's keys) and ``JWT_ISSUER``. ``DATABASE_URL`` is always set to
their own SQLite file, so a ``DATABASE_URL`` in the user's shell (the monolith's) is never
taken by a service.

>>> from strangler_proxy.stack.options import StackOptions
>>> options = StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="/srv/var")
>>> services, tasks = extracted_services(options, python="py", manage_py=Path("/m/manage.py"))
>>> [(s.name, s.url) for s in services]
[('catalog', 'http://127.0.0.1:8101'), ('notifications', 'http://127.0.0.1:8102')]
>>> services[0].env["JWKS_URL"], services[0].env_files["EVENTS_TOKEN"]
('http://127.0.0.1:8000/.well-known/jwks.json', PosixPath('/srv/var/events.token'))
>>> [(t.name, t.after) for t in tasks]
[('backfill', 'catalog'), ('backfill-notifications', 'notifications')]
>>> registration_task(options, services, python="py").argv[3:]
('sqlite:////srv/var/flags.sqlite3', 'catalog=http://127.0.0.1:8101', 'notifications=http://127.0.0.1:8102')
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from types import MappingProxyType

from strangler_proxy.stack.options import StackOptions
from strangler_proxy.stack.parts import EMPTY_DATABASE, ServiceSpec, Task

#: Every extracted service ``strangler up`` knows how to run, in start order.
EXTRACTED = ("catalog", "notifications")
#: ``iss`` of the monolith's tokens, the same for the monolith and every service.
ISSUER = "legacy-monolith"


def registration_task(
    options: StackOptions, services: Sequence[ServiceSpec], *, python: str
) -> Task:
    """Each service and its one instance in the flag store, before the proxy starts (so it
    health-checks them from its first second); written only when it changed."""
    pairs = (f"{s.name}={s.url}" for s in services)
    return Task(
        "register",
        (python, "-m", "strangler_proxy.stack.register", options.store_url, *pairs),
        title="register the services with the proxy",
    )


def extracted_services(
    options: StackOptions,
    *,
    python: str,
    manage_py: Path,
    extracted: Collection[str] = EXTRACTED,
) -> tuple[tuple[ServiceSpec, ...], tuple[Task, ...]]:
    """The services of ``extracted`` (in start order) and the tasks that come with them."""
    services: list[ServiceSpec] = []
    tasks: list[Task] = []
    if "catalog" in extracted:
        services.append(catalog_service(options, python=python))
        tasks.append(catalog_backfill(options, python=python, manage_py=manage_py))
    if "notifications" in extracted:
        services.append(notifications_service(options, python=python))
        tasks.append(notifications_backfill(options, python=python))
    return tuple(services), tuple(tasks)


def service_env(options: StackOptions, name: str) -> dict[str, str]:
    """A service's var dir and SQLite database under ``var/<name>/``, and the identity
    settings (the monolith's keys)."""
    var = options.var_dir / name
    return {
        f"{name.upper()}_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / f'{name}.sqlite3'}",
        "JWKS_URL": f"{options.monolith_url}/.well-known/jwks.json",
        "JWT_ISSUER": ISSUER,
    }


def _service(options: StackOptions, name: str, port: int, *, python: str, note: str) -> ServiceSpec:
    return ServiceSpec(
        name=name,
        argv=(python, "-m", f"extracted_services.{name}", "--port", str(port)),
        port=port,
        option=f"--{name}-port",
        log_name=f"{name}.log",
        notes=(note, f"its own database: {options.var_dir / name}/"),
        env=MappingProxyType(service_env(options, name)),
        env_files=MappingProxyType({"EVENTS_TOKEN": options.events_token_file}),
        # it needs nothing of the monolith to start (its keys are fetched on first use)
        concurrent=True,
        restart=True,  # meanwhile the proxy answers its reads from the monolith
    )


def catalog_service(options: StackOptions, *, python: str) -> ServiceSpec:
    return _service(
        options,
        "catalog",
        options.catalog_port,
        python=python,
        note="catalog service: products, categories, prices, reviews (Django + DRF, gunicorn)",
    )


def notifications_service(options: StackOptions, *, python: str) -> ServiceSpec:
    return _service(
        options,
        "notifications",
        options.notifications_port,
        python=python,
        note="notifications service: written from order events (Django + DRF, gunicorn)",
    )


def _probe(database: Path, table: str) -> tuple[str, ...]:
    """Exit 0 when ``table`` has a row (skip the backfill), 3 when it is empty or missing."""
    return ("-m", "strangler_proxy.stack.backfill", "--check", str(database), table)


def catalog_backfill(options: StackOptions, *, python: str, manage_py: Path) -> Task:
    """Once the catalog is up (migrated) and while it has no products: copy the monolith's
    catalog through its API (``manage.py backfill_catalog``, resumable and idempotent)."""
    var = options.var_dir / "catalog"
    return Task(
        "backfill",
        (
            *(python, "-m", "strangler_proxy.stack.backfill"),
            *("--monolith", options.monolith_url, "--manage-py", str(manage_py)),
            *("--catalog-var-dir", str(var)),
        ),
        skip_probe=(python, *_probe(var / "catalog.sqlite3", "catalog_product")),
        run_on_probe_exit=EMPTY_DATABASE,
        skip_reason="the catalog has products already (events keep it in step)",
        title="backfill the catalog from the monolith",
        after="catalog",
    )


def notifications_backfill(options: StackOptions, *, python: str) -> Task:
    """Once the service is up (migrated) and while it has no templates: copy the monolith's
    templates, orders and notifications over a read-only connection to its database
    (``manage.py backfill_notifications``; the URL in the environment, never in an argv)."""
    var = options.var_dir / "notifications"
    return Task(
        "backfill-notifications",
        (python, "-m", "extracted_services.notifications.manage", "backfill_notifications"),
        skip_probe=(
            python,
            *_probe(var / "notifications.sqlite3", "notifications_notificationtemplate"),
        ),
        run_on_probe_exit=EMPTY_DATABASE,
        skip_reason="the service has its templates already (events keep it in step)",
        title="backfill the notifications from the monolith's database",
        after="notifications",
        env=MappingProxyType(
            {**service_env(options, "notifications"), "MONOLITH_DATABASE_URL": options.monolith_db}
        ),
    )
