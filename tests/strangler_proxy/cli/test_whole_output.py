"""Tables keep what a user copies next whole: route ids, templates, URLs, dates, commands.

Each listing runs against a real admin API, twice: on an 80-column terminal
(``TTY_COMPATIBLE=1 COLUMNS=80``, how rich is told it draws for a terminal) and piped (plain
aligned text, no box drawing, no width limit).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner, Result

from strangler_proxy.admin.client import AdminClient
from strangler_proxy.cli import main
from strangler_proxy.routing import Mode, Route
from tests.strangler_proxy.cli.conftest import TOKEN, RunningAdmin

LONG = [  # as long as the monolith's longest (ids to 26 characters, templates to 41)
    ("shipment-dispatch-shipment", "/api/shipping/shipments/{pk}/dispatch/"),
    ("reservation-release", "/api/inventory/reservations/{pk}/release/"),
    ("warehouse-detail", "/api/inventory/warehouses/{pk}/"),
]
BOX = re.compile("[─━│┃┏┓┗┛┡┩╇╋┳┻]")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def admin(running_admin: RunningAdmin) -> RunningAdmin:
    """The CLI tests' admin API, with long routes and an audit log holding a canary flip."""
    methods = frozenset({"DELETE", "GET", "PATCH", "POST", "PUT"})
    with running_admin.store() as store:
        store.upsert_routes(
            [Route(rid, methods, template, None, Mode.MONOLITH) for rid, template in LONG],
            actor="setup",
            reason="long ones",
        )
        store.register_service("inventory", ["http://127.0.0.1:8105"], actor="setup")
        store.set_route(
            "reservation-release",
            mode=Mode.CANARY,
            percent=25,
            service="inventory",
            actor="alice",
            reason="a quarter of the clients, to see whether the new service keeps up with them",
        )
    return running_admin


def run(admin: RunningAdmin, *args: str, terminal: bool) -> list[str]:
    env = {"STRANGLER_ADMIN_URL": admin.url, "STRANGLER_ADMIN_TOKEN": TOKEN, "USER": "bob"}
    env |= {"TTY_COMPATIBLE": "1", "COLUMNS": "80"} if terminal else {"COLUMNS": "80"}
    result: Result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    lines = ANSI.sub("", result.output).splitlines()
    assert all(len(line) <= 80 for line in lines) or not terminal, "\n".join(lines)
    return lines


def whole(value: str, lines: list[str]) -> bool:
    """``value`` on one line, not part of a longer word (so neither cut nor broken)."""
    pattern = re.compile(rf"(^|\s){re.escape(value)}(\s|$)")
    return any(pattern.search(line) for line in lines)


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal-80", "piped"])
def test_routes_list_keeps_ids_and_templates_whole(admin: RunningAdmin, terminal: bool) -> None:
    lines = run(admin, "routes", "list", terminal=terminal)
    for route_id, template in [*LONG, ("product-detail", "/api/catalog/products/{pk}/")]:
        assert whole(route_id, lines) and whole(template, lines), "\n".join(lines)
    assert whole("25%", lines) and whole("inventory", lines)  # free text: wraps between words
    if terminal:  # a table still: each template under its id
        assert any(line.split()[:4] == ["#", "route", "/", "template"] for line in lines)
    else:  # one line per route, id and template on it, nothing drawn
        assert not any(BOX.search(line) for line in lines)
        for route_id, template in LONG:
            assert any(whole(route_id, [x]) and whole(template, [x]) for x in lines)


def test_a_wide_terminal_gets_the_routes_as_a_table(admin: RunningAdmin) -> None:
    env = {"STRANGLER_ADMIN_URL": admin.url, "STRANGLER_ADMIN_TOKEN": TOKEN}
    result = CliRunner().invoke(
        main, ["routes", "list"], env={**env, "TTY_COMPATIBLE": "1", "COLUMNS": "120"}
    )
    lines = ANSI.sub("", result.output).splitlines()
    header = next(line for line in lines if line.lstrip().startswith("#"))
    assert header.split() == ["#", "route", "template", "methods", "mode", "target"]
    row = next(line for line in lines if "shipment-dispatch-shipment" in line)
    assert whole("/api/shipping/shipments/{pk}/dispatch/", [row]), "\n".join(lines)
    assert all(len(line) <= 120 for line in lines)


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal-80", "piped"])
def test_routes_history_keeps_dates_ids_and_actors_whole(
    admin: RunningAdmin, terminal: bool
) -> None:
    with AdminClient(admin.url, TOKEN) as client:
        [flip] = client.history("reservation-release", limit=1)
    lines = run(admin, "routes", "history", terminal=terminal)
    when = flip["at"].replace("T", " ").removesuffix("+00:00")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", when)
    for value in (when, "set reservation-release", "alice", "canary 25% -> inventory"):
        assert value in "\n".join(lines) and any(value in line for line in lines), value
    text = " ".join(" ".join(lines).split())
    assert "a quarter of the clients, to see whether the new service keeps up with them" in text


def test_routes_history_json_is_the_admin_apis(admin: RunningAdmin) -> None:
    env = {"STRANGLER_ADMIN_URL": admin.url, "STRANGLER_ADMIN_TOKEN": TOKEN}
    result = CliRunner().invoke(main, ["routes", "history", "--json", "--limit", "3"], env=env)
    assert result.exit_code == 0, result.output
    with AdminClient(admin.url, TOKEN) as client:
        assert json.loads(result.output) == {"history": client.history(None, 3)}


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal-80", "piped"])
def test_services_list_shows_instances_without_raw_json(
    admin: RunningAdmin, terminal: bool
) -> None:
    lines = run(admin, "services", "list", terminal=terminal)
    assert whole("http://127.0.0.1:8105", lines) and whole("inventory", lines)
    assert not any("{" in line for line in lines), "no JSON in the table"
    assert any("unknown" in line for line in lines), "this admin API is not on a proxy"


def test_the_installed_command_piped_prints_plain_lines(admin: RunningAdmin) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from strangler_proxy.cli import main; main()", "routes", "list"],
        env={"STRANGLER_ADMIN_URL": admin.url, "STRANGLER_ADMIN_TOKEN": TOKEN, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert not any(BOX.search(line) or "\x1b" in line for line in lines)
    row = next(line for line in lines if "reservation-release" in line)
    assert row.split()[1:3] == ["reservation-release", "/api/inventory/reservations/{pk}/release/"]
