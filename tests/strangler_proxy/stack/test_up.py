"""`strangler up` as users run it: a real process tree on free ports, stopped by a real signal.

The monolith (gunicorn), the catalog and notifications services (registered with the
proxy, the catalog backfilled from the monolith), the proxy in front of them
(`strangler proxy run`, admin API on its own port), the report and the imported route
table, all in a temporary var dir.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from strangler_proxy.stack.process import free_port

STRANGLER = Path(sys.executable).parent / "strangler"
READY = "strangler traffic --target"  # the last line of the welcome


@dataclass(frozen=True)
class Ports:
    monolith: int
    proxy: int
    admin: int
    catalog: int
    notifications: int
    relay_metrics: int
    deliverer_metrics: int
    prometheus: int

    @classmethod
    def free(cls) -> Ports:
        ports: set[int] = set()
        while len(ports) < 8:  # the OS may hand out one port twice
            ports.add(free_port())
        return cls(*sorted(ports))

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin}"


def start_up(var_dir: Path, ports: Ports, *more: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(STRANGLER),
            "up",
            *("--monolith-port", str(ports.monolith)),
            *("--proxy-port", str(ports.proxy)),
            *("--admin-port", str(ports.admin)),
            *("--catalog-port", str(ports.catalog)),
            *("--notifications-port", str(ports.notifications)),
            *("--relay-metrics-port", str(ports.relay_metrics)),
            *("--deliverer-metrics-port", str(ports.deliverer_metrics)),
            *("--prometheus-port", str(ports.prometheus)),
            *("--seed-size", "tiny", "--var-dir", str(var_dir)),
            *more,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
    )


class Output:
    """Collects a process's output lines as they come (a thread reads the pipe)."""

    def __init__(self, up: subprocess.Popen[str]) -> None:
        self.up = up
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.up.stdout is not None
        for line in self.up.stdout:
            self.lines.append(line)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, marker: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.text:
            assert self.up.poll() is None or self.reader.is_alive(), (
                f"strangler up exited early:\n{self.text}"
            )
            assert time.monotonic() < deadline, f"no {marker!r} in time:\n{self.text}"
            time.sleep(0.1)

    def finish(self, timeout: float = 30.0) -> str:
        self.up.wait(timeout)
        self.reader.join(timeout)
        return self.text


@dataclass(frozen=True)
class Stack:
    up: subprocess.Popen[str]
    out: Output
    ports: Ports
    var_dir: Path

    @property
    def pids(self) -> dict[str, int]:
        """Each service's pid, as the welcome table shows it in a pipe (plain aligned text:
        ``proxy  http://...  notes`` or ``relay  (no port)  notes``, then ``pid N, log ...``
        on the row's last line)."""
        row = r"^(\w+) +(?:http://\S+|\(no port\)) .*?pid (\d+),"
        found = re.findall(row, self.out.text, re.M | re.S)
        return {name: int(pid) for name, pid in found}

    def token(self) -> str:
        return (self.var_dir / "admin.token").read_text().strip()

    def strangler(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A `strangler` command against this stack's admin API and token file."""
        env = {
            **os.environ,
            "STRANGLER_ADMIN_URL": self.ports.admin_url,
            "STRANGLER_ADMIN_TOKEN_FILE": str(self.var_dir / "admin.token"),
            "COLUMNS": "250",
        }
        env.pop("STRANGLER_ADMIN_TOKEN", None)
        return subprocess.run(
            [str(STRANGLER), *args], capture_output=True, text=True, env=env, timeout=30
        )


def staff_headers(stack: Stack) -> dict[str, str]:
    """The seeded staff user's DRF token, through the proxy."""
    login = {"username": "staff", "password": "staff-demo-pass"}
    answer = httpx.post(f"{stack.ports.proxy_url}/api/auth/token/", json=login, trust_env=False)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Token {answer.json()['token']}"}


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_gone(pgid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if group_is_gone(pgid):
            return True
        time.sleep(0.1)
    return False


def served_by(stack: Stack, route: str) -> set[str]:
    """Who answered ``route`` so far, from the proxy's Prometheus counters."""
    metrics = httpx.get(
        f"{stack.ports.admin_url}/metrics",
        headers={"Authorization": f"Bearer {stack.token()}"},
        trust_env=False,
    )
    assert metrics.status_code == 200, metrics.text
    pattern = rf'strangler_requests_total\{{route="{re.escape(route)}",served_by="([^"]+)"'
    return set(re.findall(pattern, metrics.text))


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state directory for the module: the first `up` seeds it, the next ones find data."""
    return tmp_path_factory.mktemp("stack")


def bring_up(var_dir: Path, *more: str) -> Stack:
    ports = Ports.free()
    up = start_up(var_dir, ports, *more)
    stack = Stack(up, Output(up), ports, var_dir)
    try:
        stack.out.wait_for(READY)
    except BaseException:
        stop_for_sure(stack)
        raise
    return stack


def stop_for_sure(stack: Stack) -> None:
    """SIGTERM `up` (it stops its children), then kill whatever is left and wait for it."""
    if stack.up.poll() is None:
        stack.up.terminate()
        try:
            stack.up.wait(20)
        except subprocess.TimeoutExpired:
            stack.up.kill()
            stack.up.wait()
    for pid in stack.pids.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        wait_gone(pid)


@pytest.fixture
def stack(var_dir: Path) -> Iterator[Stack]:
    """`strangler up` on free ports, its welcome printed."""
    running = bring_up(var_dir)
    try:
        yield running
    finally:
        stop_for_sure(running)


@pytest.mark.slow
def test_the_proxy_fronts_the_monolith_with_the_route_table_imported(stack: Stack) -> None:
    products = httpx.get(f"{stack.ports.proxy_url}/api/catalog/products/", trust_env=False)
    assert products.status_code == 200, products.text
    assert products.json()["results"], "the seeded products, through the proxy"
    assert served_by(stack, "product-list") == {"monolith"}

    token = stack.token()
    assert stat.S_IMODE((stack.var_dir / "admin.token").stat().st_mode) == 0o600
    routes = httpx.get(
        f"{stack.ports.admin_url}/routes",
        headers={"Authorization": f"Bearer {token}"},
        trust_env=False,
    )
    assert routes.status_code == 200, routes.text
    imported = {r["id"]: r for r in routes.json()["routes"]}
    assert imported["product-list"]["template"] == "/api/catalog/products/"
    assert imported["product-list"]["service"] == "catalog", "the report's suggestion"
    for headers in ({}, {"Authorization": "Bearer not-the-token-at-all"}):
        refused = httpx.get(f"{stack.ports.admin_url}/routes", headers=headers, trust_env=False)
        assert refused.status_code == 401

    report = stack.var_dir / "report" / "report.html"
    assert report.is_file() and (stack.var_dir / "report" / "report.json").is_file()
    text = stack.out.text
    assert report.as_uri() in text
    assert f"STRANGLER_ADMIN_TOKEN_FILE={stack.var_dir / 'admin.token'}" in text
    assert re.search(rf"Authorization: Token [0-9a-f]{{40}}' {stack.ports.proxy_url}/", text)
    assert token not in text, "the admin token stays in its file"


def checked_services(stack: Stack, timeout: float = 10.0) -> dict[str, Any]:
    """`strangler services list --json` once the proxy has health-checked every instance
    (an instance counts as healthy until its first check)."""
    deadline = time.monotonic() + timeout
    while True:
        listed = stack.strangler("services", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        services = {s["name"]: s for s in json.loads(listed.stdout)}
        checks = [i["last_check_at"] for s in services.values() for w in s["health"]
                  for i in w["instances"]]  # fmt: skip
        if checks and all(checks):
            return services
        assert time.monotonic() < deadline, f"not health-checked in {timeout} s: {services}"
        time.sleep(0.2)


@pytest.mark.slow
def test_the_services_are_registered_healthy_and_the_catalog_backfilled(stack: Stack) -> None:
    services = checked_services(stack)
    expected = {
        "catalog": f"http://127.0.0.1:{stack.ports.catalog}",
        "notifications": f"http://127.0.0.1:{stack.ports.notifications}",
    }
    assert {name: s["instances"] for name, s in services.items()} == {
        name: [url] for name, url in expected.items()
    }
    for name, url in expected.items():
        [worker] = services[name]["health"]
        [instance] = worker["instances"]
        assert (instance["url"], instance["healthy"]) == (url, True), instance
        assert instance["last_check_error"] is None, instance
    assert stat.S_IMODE((stack.var_dir / "events.token").stat().st_mode) == 0o600
    assert re.search(r"^backfill: (done|skipped)", stack.out.text, re.M)
    copied: list[int] = []
    for path in ("monolith.sqlite3", "notifications/notifications.sqlite3"):
        with contextlib.closing(sqlite3.connect(stack.var_dir / path)) as db:
            (count,) = db.execute("SELECT count(*) FROM notifications_notification").fetchone()
            copied.append(count)
    assert copied[0] > 0 and copied[0] == copied[1], "the notifications service has them all"
    assert "events token" in stack.out.text
    same = stack.strangler("reconcile", "catalog", "--var-dir", str(stack.var_dir))
    assert same.returncode == 0, same.stdout + same.stderr
    assert f"strangler reconcile catalog --var-dir {stack.var_dir}" in stack.out.text


@pytest.mark.slow
def test_a_price_changed_in_the_monolith_reaches_the_catalog_through_the_relay(
    stack: Stack,
) -> None:
    """The embedded relay (no broker): the monolith's outbox row, pushed to the catalog's
    inbox; the two databases then hold the same rows."""
    changed = httpx.patch(
        f"{stack.ports.proxy_url}/api/catalog/products/2/",
        json={"price": "77.70"},
        headers=staff_headers(stack),
        trust_env=False,
    )
    assert changed.status_code == 200, changed.text
    catalog = f"http://127.0.0.1:{stack.ports.catalog}/api/catalog/products/2/"
    deadline = time.monotonic() + 10
    while httpx.get(catalog, trust_env=False).json()["price"] != "77.70":
        assert time.monotonic() < deadline, (stack.var_dir / "logs" / "relay.log").read_text()
        time.sleep(0.1)
    same = stack.strangler("reconcile", "catalog", "--var-dir", str(stack.var_dir))
    assert same.returncode == 0, same.stdout + same.stderr
    assert "relay ready: monolith" in (stack.var_dir / "logs" / "relay.log").read_text()


@pytest.mark.slow
def test_routes_flip_while_up_runs_and_sigterm_stops_it_all(stack: Stack) -> None:
    # the catalog's copy of product 1 made to differ: then who answered is plain to see
    with sqlite3.connect(stack.var_dir / "catalog" / "catalog.sqlite3") as db:
        db.execute("UPDATE catalog_product SET name = 'only in the catalog' WHERE id = 1")
    flip = ("routes", "set", "product-detail", "service", "--reason", "go")
    gated = stack.strangler(*flip)  # no shadow evidence yet: the promotion gate says no
    assert gated.returncode == 1 and "may not move to service yet: 0 samples" in gated.stderr
    flipped = stack.strangler(*flip, "--force")
    assert flipped.returncode == 0, flipped.stderr
    assert "product-detail: service -> catalog" in flipped.stdout

    detail = f"{stack.ports.proxy_url}/api/catalog/products/1/"
    deadline = time.monotonic() + 5
    while "catalog" not in served_by(stack, "product-detail"):
        assert time.monotonic() < deadline, "the proxy picks up a flip within a second or so"
        assert httpx.get(detail, trust_env=False).status_code == 200
        time.sleep(0.2)
    answer = httpx.get(detail, trust_env=False)
    assert answer.headers["x-strangler-served-by"] == "catalog"
    assert answer.json()["name"] == "only in the catalog", "the catalog service answered"
    assert answer.headers["x-strangler-route"] == "product-detail"
    logged = (stack.var_dir / "logs" / "access.log").read_text().splitlines()
    assert any('"route":"product-detail","fallback":null' in line for line in logged)
    listing = stack.strangler("routes", "list")
    assert listing.returncode == 0, listing.stderr
    assert re.search(r"product-detail .*service .*catalog", listing.stdout), listing.stdout

    drift = stack.strangler("reconcile", "catalog", "--var-dir", str(stack.var_dir), "--json")
    assert drift.returncode == 1, drift.stderr
    [products] = [k for k in json.loads(drift.stdout)["kinds"] if k["drift"]]
    assert [(r["id"], list(r["fields"])) for r in products["rows"]] == [(1, ["name"])]

    pids = stack.pids
    assert set(pids) == {"monolith", "catalog", "notifications", "relay", "proxy"}, stack.out.text
    assert int((stack.var_dir / "run" / "monolith.pid").read_text()) == pids["monolith"]
    stack.up.send_signal(signal.SIGTERM)
    output = stack.out.finish()
    assert stack.up.returncode == 0, output
    assert all(wait_gone(pid) for pid in pids.values()), "no child left"
    names = ("proxy", "relay", "notifications", "catalog", "monolith")
    stopped = [output.index(f"{name}: stopped") for name in names]
    assert stopped == sorted(stopped), "last started, first stopped"


@pytest.mark.slow
def test_a_dying_service_is_named_and_the_rest_stopped(stack: Stack) -> None:
    pids = stack.pids
    os.killpg(pids["proxy"], signal.SIGKILL)
    output = stack.out.finish()

    assert stack.up.returncode == 1, output
    assert "proxy exited on its own (exit code -9); stopping the rest" in output
    assert "monolith: stopped" in output
    assert wait_gone(pids["monolith"])


def stop(stack: Stack) -> str:
    """Ctrl-C, as a user would: exit code 0."""
    stack.up.send_signal(signal.SIGINT)
    try:
        output = stack.out.finish()
    finally:
        stop_for_sure(stack)
    assert stack.up.returncode == 0, output
    return output


@pytest.mark.slow
def test_a_second_up_keeps_data_flags_and_token(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    first = bring_up(var_dir)
    try:
        canary = ("routes", "set", "category-list", "canary", "--percent", "10")
        flipped = first.strangler(*canary, "--reason", "kept across runs?", "--force")
        assert flipped.returncode == 0, flipped.stderr
    finally:
        stop(first)
    assert f"routes: created flag store {var_dir}/flags.sqlite3\n" in first.out.text
    token = first.token()

    second = bring_up(var_dir)
    try:
        text = second.out.text
        assert "seed: skipped, the database has data already" in text
        assert "backfill: skipped, the catalog has products already" in text
        assert "catalog: registered" in (var_dir / "logs" / "prepare-register.log").read_text(), (
            "on new ports: the registry follows"
        )
        assert "migrate: done" in text, "migrations still run: a new version may bring some"
        assert "routes: done" in text, "the routes are imported again"
        assert "created flag store" not in text, "into the store that is there"
        assert second.token() == token, "the token is kept"
        route = httpx.get(
            f"{second.ports.admin_url}/routes/category-list",
            headers={"Authorization": f"Bearer {token}"},
            trust_env=False,
        ).json()
        assert (route["mode"], route["percent"], route["service"]) == ("canary", 10, "catalog")
    finally:
        stop(second)


@pytest.mark.slow
def test_a_failing_analysis_is_reported_and_the_stack_comes_up(tmp_path: Path) -> None:
    (tmp_path / "report").write_text("a file where the report folder should be")
    stack = bring_up(tmp_path)
    try:
        text = stack.out.text
        assert "analyze failed with exit code" in text
        assert "analyze: the stack goes on without it" in text
        assert "routes: analyze failed, so:" in text and "--source" in text
        assert "the analysis failed" in text, "the welcome says there is no report"
        routes = httpx.get(
            f"{stack.ports.admin_url}/routes",
            headers={"Authorization": f"Bearer {stack.token()}"},
            trust_env=False,
        )
        assert "product-list" in {r["id"] for r in routes.json()["routes"]}
    finally:
        stop(stack)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--monolith-port", "0"], "--monolith-port"),
        (["--proxy-port", "8000"], "--proxy-port"),  # the monolith's port
        (["--admin-port", "70000"], "--admin-port"),
    ],
)
def test_a_bad_option_is_named(args: list[str], named: str) -> None:
    result = subprocess.run([str(STRANGLER), "up", *args], capture_output=True, text=True)
    assert result.returncode == 2
    assert named in result.stderr
