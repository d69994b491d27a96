"""The stack as data: what `strangler up` will run, checked before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from legacy_monolith.common.seed_sizes import SIZES
from strangler_proxy.stack.spec import (
    CREATED_STORE,
    EMPTY_DATABASE,
    SEED_SIZES,
    StackOptions,
    StackSpecError,
    default_stack,
)

MANAGE = Path("/src/legacy_monolith/manage.py")
CLI = ("/venv/bin/strangler",)


def test_the_proxy_and_its_set_up(tmp_path: Path) -> None:
    var = tmp_path / "var"
    options = StackOptions.parse(
        monolith_port=8123, seed_size="tiny", var_dir=var, proxy_port=8124, admin_port=8125
    )
    stack = default_stack(options, python="/venv/bin/python", manage_py=MANAGE, strangler=CLI)

    tasks = {task.name: task for task in stack.prepare}
    assert list(tasks) == [
        "migrate", "seed", "analyze", "routes", "tokens", "register", "backfill",
        "backfill-notifications",
    ]  # fmt: skip
    analyze, routes, token = tasks["analyze"], tasks["routes"], tasks["tokens"]
    assert analyze.argv == (*CLI, "analyze", "/src/legacy_monolith", "--out", f"{var}/report")
    assert analyze.optional, "no report is no reason to stop the stack"
    store = ("--store", f"sqlite:///{var}/flags.sqlite3")
    assert routes.argv == (*CLI, "routes", "import", "--from", f"{var}/report/report.json", *store)
    assert routes.fallback_after == "analyze" and not routes.optional
    assert routes.fallback_argv == (
        *CLI,
        "routes",
        "import",
        "--source",
        "/src/legacy_monolith",
        *store,
    )
    assert token.argv[-3:] == tuple(
        f"{var}/{name}.token" for name in ("admin", "events", "metrics")
    )

    proxy = stack.service("proxy")
    assert proxy is not None and stack.services[-1] is proxy, "the proxy starts last"
    argv = " ".join(proxy.argv)
    assert argv.startswith("/venv/bin/strangler proxy run --listen 127.0.0.1:8124 ")
    assert "--monolith http://127.0.0.1:8123" in argv
    assert f"--store sqlite:///{var}/flags.sqlite3" in argv
    assert f"--admin-listen 127.0.0.1:8125 --admin-token-file {var}/admin.token" in argv
    assert proxy.health_url == "http://127.0.0.1:8124/health/"  # through to the monolith
    assert [x.health_url for x in proxy.listeners] == ["http://127.0.0.1:8125/health"]
    assert [(b.who, b.port, b.option) for b in proxy.binds] == [
        ("proxy", 8124, "--proxy-port"),
        ("proxy's admin API", 8125, "--admin-port"),
    ]


def test_the_default_stack(tmp_path: Path) -> None:
    options = StackOptions.parse(monolith_port=8123, seed_size="tiny", var_dir=tmp_path / "var")
    stack = default_stack(options, python="/venv/bin/python", manage_py=MANAGE, strangler=CLI)

    migrate, seed, *_ = stack.prepare
    assert migrate.argv == ("/venv/bin/python", str(MANAGE), "migrate", "--noinput")
    assert seed.argv[2:] == ("seed_shop", "--size", "tiny")
    assert seed.skip_probe is not None and seed.skip_probe[2] == "shell"
    assert seed.run_on_probe_exit == EMPTY_DATABASE

    monolith, *_ = stack.services
    assert monolith.url == "http://127.0.0.1:8123"
    assert monolith.health_url == "http://127.0.0.1:8123/health/"
    argv = " ".join(monolith.argv)
    assert "-m gunicorn legacy_monolith.shop.wsgi:application" in argv
    assert "--bind 127.0.0.1:8123" in argv
    assert "--worker-class gthread --workers 2" in argv
    assert f"--pid {tmp_path / 'var' / 'run' / 'monolith.pid'}" in argv
    assert stack.env["STRANGLER_VAR_DIR"] == str(tmp_path / "var")
    assert stack.cwd == Path("/src")
    assert stack.log_dir == tmp_path / "var" / "logs"
    assert [a.username for a in monolith.accounts] == ["customer0001, customer0002, ...", "staff"]


def test_a_relative_var_dir_is_made_absolute() -> None:
    options = StackOptions.parse(monolith_port=8000, seed_size="default", var_dir="var")
    assert options.var_dir.is_absolute() and options.var_dir.name == "var"


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"monolith_port": 0}, "--monolith-port"),
        ({"monolith_port": 70000}, "--monolith-port"),
        ({"seed_size": "Huge Size!"}, "--seed-size"),
        ({"seed_size": "huge"}, "--seed-size"),  # a name, but not one seed_shop knows
        ({"proxy_port": 65536}, "--proxy-port"),
        ({"admin_port": 8000}, "--admin-port"),  # the monolith's
        ({"proxy_port": 8081}, "--admin-port"),  # the admin API's default, named second
        ({"catalog_port": 8000}, "--catalog-port"),
        ({"notifications_port": 8101}, "--notifications-port"),  # the catalog's default
        ({"broker": "127.0.0.1:4222"}, "--broker"),
        ({"broker": "redis://127.0.0.1"}, "--broker"),
    ],
)
def test_bad_options_name_themselves(options: dict[str, object], option: str) -> None:
    arguments: dict[str, object] = {"monolith_port": 8000, "seed_size": "tiny", "var_dir": "var"}
    with pytest.raises(StackSpecError) as caught:
        StackOptions.parse(**{**arguments, **options})  # type: ignore[arg-type]
    assert caught.value.option == option


def test_a_var_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "not-a-dir"
    file.write_text("")
    with pytest.raises(StackSpecError, match="not a directory"):
        StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir=file)


def test_a_var_dir_under_a_file_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("")
    with pytest.raises(StackSpecError, match=f"cannot create {file}/var: {file} is not a dir"):
        StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir=file / "var")


def test_the_seed_sizes_are_seed_shops() -> None:
    """The toolkit never imports the monolith: its copy of the names is checked here."""
    assert sorted(SEED_SIZES) == sorted(SIZES)


def test_up_repeats_the_line_of_a_store_the_import_created(tmp_path: Path) -> None:
    options = StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir=tmp_path)
    stack = default_stack(options, python="python", manage_py=MANAGE, strangler=CLI)
    [routes] = [task for task in stack.prepare if task.name == "routes"]
    assert routes.tell is CREATED_STORE
    log = f"created flag store {tmp_path}/flags.sqlite3\nRoutes from ...\n"
    assert [m.group(0) for m in CREATED_STORE.finditer(log)] == [
        f"created flag store {tmp_path}/flags.sqlite3"
    ]


def test_the_extracted_services_start_between_the_monolith_and_the_proxy(tmp_path: Path) -> None:
    var = tmp_path / "var"
    options = StackOptions.parse(
        monolith_port=8123, seed_size="tiny", var_dir=var, catalog_port=8201,
        notifications_port=8202,
    )  # fmt: skip
    stack = default_stack(options, python="/venv/bin/python", manage_py=MANAGE, strangler=CLI)

    names = [s.name for s in stack.services]
    assert names == ["monolith", "catalog", "notifications", "relay", "proxy"]
    catalog, notifications = stack.services[1:3]
    port = ("--port", "8201")
    assert catalog.argv == ("/venv/bin/python", "-m", "extracted_services.catalog", *port)
    assert (catalog.url, catalog.option) == ("http://127.0.0.1:8201", "--catalog-port")
    assert dict(catalog.env) == {
        "CATALOG_VAR_DIR": f"{var}/catalog",
        "DATABASE_URL": f"sqlite:///{var}/catalog/catalog.sqlite3",  # never the monolith's
        "JWKS_URL": "http://127.0.0.1:8123/.well-known/jwks.json",
        "JWT_ISSUER": "legacy-monolith",
        "PROMETHEUS_MULTIPROC_DIR": f"{var}/metrics/catalog",
        "OTEL_SERVICE_NAME": "catalog",
        "OTEL_TRACES_EXPORTER": "strangler_files",
        "STRANGLER_TRACES_DIR": f"{var}/traces",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "1.0",
        "OTEL_BSP_SCHEDULE_DELAY": "500",
    }
    assert notifications.env["NOTIFICATIONS_VAR_DIR"] == f"{var}/notifications"
    assert notifications.argv[-3:] == ("extracted_services.notifications", "--port", "8202")
    for service in (stack.services[0], catalog, notifications):
        assert dict(service.env_files) == {
            "EVENTS_TOKEN": var / "events.token",
            "METRICS_TOKEN": var / "metrics.token",
        }
        assert not any("token" in part for part in service.argv), "secrets stay out of argv"
        assert service.fresh_dirs == (var / "metrics" / service.name,)
        assert service.scrape is not None and service.scrape.port == service.port
    assert stack.services[0].env["OTEL_SERVICE_NAME"] == "legacy-monolith"
    assert "-c python:legacy_monolith.shop.gunicorn_conf" in " ".join(stack.services[0].argv)
    assert not any("OTEL" in name for name in stack.env), "the set-up tasks are not traced"
    assert stack.env["JWT_ISSUER"] == "legacy-monolith"

    tasks = {task.name: task for task in stack.prepare}
    assert tasks["register"].argv[-2:] == (
        "catalog=http://127.0.0.1:8201",
        "notifications=http://127.0.0.1:8202",
    )
    backfill = tasks["backfill"]
    assert backfill.after == "catalog", "it reads the monolith's API, the catalog is migrated"
    assert "--monolith http://127.0.0.1:8123" in " ".join(backfill.argv)
    assert backfill.skip_probe is not None
    probe = ("--check", f"{var}/catalog/catalog.sqlite3", "catalog_product")
    assert backfill.skip_probe[-3:] == probe
    copy = tasks["backfill-notifications"]
    assert copy.after == "notifications"
    assert copy.argv[-2:] == ("extracted_services.notifications.manage", "backfill_notifications")
    assert copy.env["MONOLITH_DATABASE_URL"] == f"sqlite:///{var}/monolith.sqlite3"
    assert copy.env["DATABASE_URL"] == f"sqlite:///{var}/notifications/notifications.sqlite3"


def test_only_the_installed_services_are_run(tmp_path: Path) -> None:
    options = StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir=tmp_path)
    stack = default_stack(options, python="py", manage_py=MANAGE, strangler=CLI, extracted=())
    assert [s.name for s in stack.services] == ["monolith", "proxy"]
    assert "register" not in {task.name for task in stack.prepare}
    only = default_stack(
        options, python="py", manage_py=MANAGE, strangler=CLI, extracted=("notifications",)
    )
    assert [s.name for s in only.services] == ["monolith", "notifications", "relay", "proxy"]
    assert [t.name for t in only.prepare][-1] == "backfill-notifications"
    assert "backfill" not in {task.name for task in only.prepare}


def test_the_relay_pushes_to_every_inbox_or_publishes_to_the_broker(tmp_path: Path) -> None:
    var = tmp_path / "var"
    options = StackOptions.parse(monolith_port=8123, seed_size="tiny", var_dir=var)
    embedded = default_stack(options, python="py", manage_py=MANAGE, strangler=CLI)
    relay = embedded.service("relay")
    assert relay is not None and relay.worker
    assert [(b.who, b.port, b.option) for b in relay.binds] == [
        ("relay's metrics", 8091, "--relay-metrics-port")
    ], "a worker, but its metrics port is checked free before anything starts"
    assert relay.argv[-2:] == ("--metrics-listen", "127.0.0.1:8091")
    assert relay.env["OTEL_SERVICE_NAME"] == "strangler-relay"
    argv = " ".join(relay.argv)
    assert argv.startswith("/venv/bin/strangler events relay ")
    assert f"--source monolith=sqlite:///{var}/monolith.sqlite3" in argv
    assert f"--source catalog=sqlite:///{var}/catalog/catalog.sqlite3" in argv
    assert "--broker embedded" in argv
    assert "--subscriber catalog=http://127.0.0.1:8101/internal/events/:" in argv
    assert "--subscriber notifications=http://127.0.0.1:8102/internal/events/:order" in argv
    assert "--subscriber monolith=http://127.0.0.1:8123/internal/events/:" in argv
    assert f"--token-file {var}/events.token" in argv
    assert f"--dead-letters sqlite:///{var}/dead-letters.sqlite3" in argv
    assert embedded.service("deliverer") is None, "embedded: the relay pushes itself"

    nats = StackOptions.parse(
        monolith_port=8123, seed_size="tiny", var_dir=var, broker="nats://127.0.0.1:4222"
    )
    brokered = default_stack(nats, python="py", manage_py=MANAGE, strangler=CLI)
    relay, deliverer = brokered.service("relay"), brokered.service("deliverer")
    assert relay is not None and deliverer is not None
    assert "--subscriber" not in relay.argv, "with a broker, the deliverer pushes"
    assert "--broker nats://127.0.0.1:4222" in " ".join(relay.argv)
    assert deliverer.argv[:3] == (*CLI, "events", "deliver")
    assert deliverer.argv.count("--subscriber") == 3
    assert deliverer.argv[-2:] == ("--metrics-listen", "127.0.0.1:8092")
    proxy = " ".join(brokered.services[-1].argv)
    assert f"--events-source monolith=sqlite:///{var}/monolith.sqlite3" in proxy
    assert f"--events-source catalog=sqlite:///{var}/catalog/catalog.sqlite3" in proxy
    assert "--events-broker nats://127.0.0.1:4222" in proxy
    assert f"--events-dead-letters sqlite:///{var}/dead-letters.sqlite3" in proxy
    assert [s.name for s in brokered.services][-3:] == ["relay", "deliverer", "proxy"]


def test_the_monolith_database_of_the_environment_is_the_relays_source(tmp_path: Path) -> None:
    """A DATABASE_URL in the user's shell is the monolith's (it reads it): the relay reads
    that outbox too; the services keep their own databases all the same."""
    pg = "postgresql://shop@127.0.0.1:5432/shop"
    options = StackOptions.parse(
        monolith_port=8000, seed_size="tiny", var_dir=tmp_path, monolith_database_url=pg
    )
    stack = default_stack(options, python="py", manage_py=MANAGE, strangler=CLI)
    assert stack.env["DATABASE_URL"] == pg
    relay = stack.service("relay")
    assert relay is not None and f"monolith={pg}" in relay.argv
    catalog = stack.service("catalog")
    assert catalog is not None and catalog.env["DATABASE_URL"].startswith("sqlite:///")
