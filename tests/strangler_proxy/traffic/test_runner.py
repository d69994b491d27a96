"""The runner against real targets: the seeded monolith, and a port where nothing listens."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from strangler_proxy.cli import main
from strangler_proxy.stack.process import free_port
from strangler_proxy.traffic.plan import World, plan
from strangler_proxy.traffic.runner import (
    TargetUnusable,
    discover_world,
    new_client,
    run_traffic,
)
from strangler_proxy.traffic.spec import TrafficSpec
from strangler_proxy.traffic.stats import Summary
from tests.conftest import RunningServer

USERS = 5  # the tiny seed has six demo customers


def discover(spec: TrafficSpec) -> World:
    async def go() -> World:
        async with new_client(spec) as client:
            return await discover_world(client, spec)

    return asyncio.run(go())


def seed_that_checks_out_early(world: World, within: int) -> int:
    """A seed whose plan pays with a card within the first ``within`` requests."""
    for seed in range(1, 500):
        steps = [r.step for r in itertools.islice(plan(world, seed, USERS), within)]
        if "orders.checkout" in steps:
            return seed
    raise AssertionError("no seed checks out early")


def assert_counts_add_up(summary: Summary) -> None:
    kinds = summary.answered + summary.failed + summary.skipped + summary.cancelled
    assert kinds == summary.issued
    assert sum(step.count for step in summary.steps) == summary.issued
    assert sum(summary.status_classes.values()) == summary.issued


def test_a_short_run_browses_and_checks_out_on_the_monolith(
    monolith_server: RunningServer,
) -> None:
    spec = TrafficSpec.parse(
        target=monolith_server.base_url, duration=5, rate=12, users=USERS, concurrency=8
    )
    world = discover(spec)
    assert len(world.product_ids) > 0 and world.category_ids and world.search_terms
    spec = replace(spec, seed=seed_that_checks_out_early(world, within=40))

    summary = asyncio.run(run_traffic(spec, world=world))

    assert 0 < summary.issued <= spec.max_requests == 60
    assert_counts_add_up(summary)
    assert summary.errors == 0, summary.error_messages
    steps = {step.step: step for step in summary.steps}
    assert steps["products.detail"].statuses.get(200, 0) > 0
    assert steps["orders.checkout"].statuses.get(201, 0) >= 1, steps["orders.checkout"]
    assert steps["products.detail"].p50_ms is not None


def test_a_dead_target_counts_failures_instead_of_raising() -> None:
    world = World(
        product_ids=(1, 2, 3),
        category_ids=(1,),
        search_terms=("lamp",),
        usernames=("customer0001",),
        password="x",
        product_count=3,
    )
    spec = TrafficSpec.parse(target=f"http://127.0.0.1:{free_port()}", duration=1, rate=40)

    summary = asyncio.run(run_traffic(spec, world=world))

    assert 0 < summary.issued <= 40, "the limiter bounds a run even when every request fails"
    assert_counts_add_up(summary)
    assert summary.answered == 0
    assert summary.failed > 0 and summary.errors == summary.failed
    assert all("ConnectError" in message for message in summary.error_messages)
    assert summary.skipped > 0, "without a token the personal pages are skipped, not sent"


def test_the_cli_reports_a_dead_target_clearly(tmp_path: Path) -> None:
    target = f"http://127.0.0.1:{free_port()}"
    report = tmp_path / "summary.json"
    result = CliRunner().invoke(
        main,
        ["traffic", "--target", target, "--duration", "2", "--rate", "5", "--json", str(report)],
    )
    assert result.exit_code == 1, result.output
    assert f"cannot reach {target}/api/catalog/products/?page_size=100: ConnectError" in (
        result.output
    )
    assert "Traceback" not in result.output
    summary = json.loads(report.read_text())
    assert summary["errors"] == summary["failed"] == 1


@pytest.mark.parametrize("prefix", ["", "/", "/shop", "/shop/"])
def test_cannot_reach_names_the_url_as_sent(prefix: str) -> None:
    """The base URL and the path joined as httpx joins them (no slash lost, none doubled)."""
    origin = f"http://127.0.0.1:{free_port()}"
    spec = TrafficSpec.parse(target=origin + prefix, duration=1, rate=5)
    with pytest.raises(TargetUnusable) as failed:
        discover(spec)
    sent = f"{origin}{prefix.rstrip('/')}/api/catalog/products/?page_size=100"
    assert str(failed.value).startswith(f"cannot reach {sent}: ConnectError")


def test_the_cli_writes_the_summary_it_shows(
    monolith_server: RunningServer, tmp_path: Path
) -> None:
    report = tmp_path / "summary.json"
    result = CliRunner().invoke(
        main,
        [
            "traffic",
            "--target",
            monolith_server.base_url,
            "--duration",
            "3",
            "--rate",
            "8",
            "--users",
            str(USERS),
            "--seed",
            "5",
            "--json",
            str(report),
            "--fail-on-error",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(report.read_text())
    assert 0 < summary["issued"] <= 24
    assert summary["errors"] == 0
    assert summary["seed"] == 5 and summary["max_requests"] == 24
    assert f"{summary['issued']} requests (max 24)" in result.output
    for step in summary["steps"]:
        assert step in result.output


def test_more_users_than_demo_accounts_is_a_clear_error(monolith_server: RunningServer) -> None:
    result = CliRunner().invoke(
        main, ["traffic", "--target", monolith_server.base_url, "--duration", "1", "--users", "7"]
    )
    assert result.exit_code == 1, result.output
    assert "the demo account customer0007 cannot sign in (HTTP 400)" in result.output
    assert "--users" in result.output


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--target", "localhost:8000"], "--target"),
        (["--target", "http://127.0.0.1:8000", "--rate", "0"], "--rate"),
        (["--target", "http://127.0.0.1:8000", "--users", "0"], "--users"),
    ],
)
def test_bad_options_are_named(args: list[str], option: str) -> None:
    result = CliRunner().invoke(main, ["traffic", *args])
    assert result.exit_code == 2
    assert option in result.output
