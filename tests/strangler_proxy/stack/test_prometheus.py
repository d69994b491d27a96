"""`strangler up --prometheus`'s generated files, checked by Prometheus's own promtool: the
configuration and rules load, and the rules compute the figures the proxy decides on (a
`promtool test rules` run over made-up series: no server, a second)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from strangler_proxy.engine.settings import EngineSettings
from strangler_proxy.evidence.rollback import Budget
from strangler_proxy.stack.prometheus_rules import (
    BUDGET,
    BUDGET_ALERTS,
    WINDOW_SECONDS,
    alerting_rules,
)
from strangler_proxy.stack.spec import StackOptions, StackSpec, default_stack

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
needs_promtool = pytest.mark.skipif(
    not Path(PROMTOOL).is_file(),
    reason="promtool is not installed (Debian's prometheus package has it: make prometheus)",
)
MANAGE = Path("/src/legacy_monolith/manage.py")


def observed_stack(var: Path, **budgets: Any) -> StackSpec:
    options = StackOptions.parse(
        monolith_port=8000, seed_size="tiny", var_dir=var, prometheus=True,
        broker="nats://127.0.0.1:4222",
    )  # fmt: skip
    return default_stack(
        options, python="py", manage_py=MANAGE, strangler=("strangler",),
        prometheus="/usr/bin/prometheus", **budgets,
    )  # fmt: skip


def written(stack: StackSpec) -> tuple[Path, Path]:
    """The stack's files on disk, with the token files Prometheus reads at each scrape."""
    for path, text in stack.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for name in ("admin", "metrics"):
        (stack.var_dir / f"{name}.token").write_text("t" * 43)
    config, rules = sorted(stack.files)
    return config, rules


def promtool(*args: str) -> str:
    """Its output, stdout and stderr (where it says SUCCESS, and lint findings)."""
    done = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_every_process_is_scraped_every_two_seconds(tmp_path: Path) -> None:
    stack = observed_stack(tmp_path)
    config_path, _ = written(stack)
    config = yaml.safe_load(config_path.read_text())
    assert config["global"]["scrape_interval"] == config["global"]["evaluation_interval"] == "2s"
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert list(jobs) == [
        "monolith", "catalog", "notifications", "relay", "deliverer", "proxy", "prometheus",
    ]  # fmt: skip
    targets = {name: job["static_configs"][0]["targets"] for name, job in jobs.items()}
    assert targets["proxy"] == ["127.0.0.1:8081"], "the admin API's /metrics"
    assert targets["relay"] == ["127.0.0.1:8091"] and targets["deliverer"] == ["127.0.0.1:8092"]
    tokens = {
        name: job.get("authorization", {}).get("credentials_file") for name, job in jobs.items()
    }
    assert tokens == {
        "monolith": f"{tmp_path}/metrics.token",
        "catalog": f"{tmp_path}/metrics.token",
        "notifications": f"{tmp_path}/metrics.token",
        "relay": None,
        "deliverer": None,
        "proxy": f"{tmp_path}/admin.token",
        "prometheus": None,
    }
    assert "t" * 43 not in config_path.read_text(), "tokens stay in their files"


def test_the_budgets_are_the_proxys() -> None:
    """Each alert compares with the bound the proxy exports, never a number of its own."""
    assert EngineSettings.__dataclass_fields__["rollback_window"].default == WINDOW_SECONDS
    for spec, rule in zip(BUDGET_ALERTS, alerting_rules(), strict=True):
        assert f'{BUDGET}{{budget="{spec.field}"}}' in rule["expr"], rule
        assert f'{BUDGET}{{budget="min_requests"}}' in rule["expr"], rule
        assert not re.search(r"[ (]\d", rule["expr"]), f"a number of its own: {rule}"


def test_every_figure_of_the_budget_has_its_alert_and_every_guard_is_a_field() -> None:
    names = {f.name for f in dataclasses.fields(Budget)}
    assert {a.field for a in BUDGET_ALERTS} == {n for n in names if not n.startswith("min_")}
    assert {a.enough for a in BUDGET_ALERTS} <= names


@needs_promtool
def test_promtool_loads_the_configuration_and_the_rules(tmp_path: Path) -> None:
    config, rules = written(observed_stack(tmp_path))
    assert "SUCCESS" in promtool("check", "config", str(config))
    checked = promtool("check", "rules", str(rules))
    assert "SUCCESS: 14 rules found" in checked and "duplicate" not in checked


def _series(name: str, values: str, **labels: str) -> dict[str, str]:
    inner = ",".join(f'{key}="{value}"' for key, value in labels.items())
    return {"series": f"{name}{{{inner}}}", "values": values}


DEFAULTS = Budget()


def _traffic(
    route: str, *, scale: float, mode: str, budget: Budget | None = DEFAULTS
) -> list[dict[str, str]]:
    """Two minutes of a route, one step every 2 s: of each 16 sent to the catalog one answers
    5xx and one falls back; the catalog's answers take ~1 s, the monolith's ~0.1 s; shadow
    verdicts: 7 match, 1 mismatch. ``scale`` times as many of each. ``budget``: the one the
    proxy exports for the route (None: it does not watch it)."""

    def counter(per_step: float) -> str:
        return f"0+{per_step * scale:g}x60"

    requests = "strangler_requests_total"
    buckets = "strangler_request_duration_seconds_bucket"
    n = 16
    series = [
        _series(requests, counter(n - 2), route=route, served_by="catalog", code="2xx"),
        _series(requests, counter(1), route=route, served_by="catalog", code="5xx"),
        _series(requests, counter(n), route=route, served_by="monolith", code="2xx"),
        _series("strangler_fallbacks_total", counter(1), route=route, reason="refused"),
        _series("strangler_shadow_total", counter(7), route=route, outcome="match"),
        _series("strangler_shadow_total", counter(1), route=route, outcome="mismatch"),
        _series("strangler_route_info", "1x60", route=route, mode=mode, service="catalog"),
    ]
    for name, bound in dataclasses.asdict(budget).items() if budget else ():
        series.append(_series(BUDGET, f"{bound:g}x60", route=route, budget=name, job="proxy"))
    for side, (low, high) in {"catalog": ("0.5", "1.0"), "monolith": ("0.05", "0.1")}.items():
        for le, values in ((low, "0x60"), (high, counter(n)), ("+Inf", counter(n))):
            series.append(_series(buckets, values, route=route, served_by=side, le=le))
    return series


HOT = '{route="product-list"}'
GENEROUS = Budget(max_error_rate=0.5, max_fallback_rate=0.5, max_latency_ratio=20,
                  max_mismatch_rate=0.5)  # fmt: skip


def _sample(record: str, value: float, *sides: tuple[str, float]) -> dict[str, Any]:
    """The value of the recording rule ``record`` for the hot route (or of each of its sides,
    ``served_by``), to 4 decimals."""
    samples = [{"labels": HOT, "value": value}]
    if sides:
        samples = [
            {"labels": f'{{route="product-list",served_by="{side}"}}', "value": value}
            for side, value in sides
        ]
    return {"expr": f"round({record}{HOT}, 0.0001)", "eval_time": "2m", "exp_samples": samples}


@needs_promtool
def test_the_rules_compute_the_proxys_figures_and_alert_on_each_budget(tmp_path: Path) -> None:
    _, rules = written(observed_stack(tmp_path))
    alerts = [
        {
            "alertname": spec.alert,
            "eval_time": "2m",
            "exp_alerts": [
                {
                    "exp_labels": {
                        "route": "product-list",
                        "severity": "warning",
                        "budget": spec.field,
                    },
                    "exp_annotations": {
                        "summary": f"product-list: {spec.what} over the last minute above "
                        "its rollback budget: the proxy flips the route back to the monolith"
                    },
                }
            ],
        }
        for spec in BUDGET_ALERTS
    ]
    test = {
        "rule_files": [str(rules)],
        "evaluation_interval": "2s",
        "tests": [
            {
                "interval": "2s",
                "input_series": [
                    *_traffic("product-list", scale=1, mode="canary"),
                    # as bad, but too few to judge: 15 requests a minute, under min_requests
                    *_traffic("product-detail", scale=1 / 32, mode="service"),
                    # as bad, but at the monolith: the rollback does not watch it
                    *_traffic("category-list", scale=1, mode="monolith", budget=None),
                    # as bad, but its own budget (the proxy's, from the rules file) allows it
                    *_traffic("review-list", scale=1, mode="service", budget=GENEROUS),
                ],
                "promql_expr_test": [
                    _sample("route:strangler_service_5xx:ratio_rate1m", 1 / 16),
                    _sample("route:strangler_fallbacks:ratio_rate1m", 1 / 16),
                    _sample("route:strangler_shadow_mismatch:ratio_rate1m", 0.125),
                    _sample(  # interpolated within the (0.5, 1] and (0.05, 0.1] buckets
                        "route_served_by:strangler_request_duration_seconds:p99_1m",
                        0,
                        ("catalog", 0.995),
                        ("monolith", 0.0995),
                    ),
                    _sample(
                        "route:strangler_request_duration_seconds:p99_ratio_service_monolith_1m",
                        10.0,
                    ),
                    _sample(  # the catalog's 15 of 16 + the monolith's 16 in 2 s
                        "route_served_by:strangler_request_duration_seconds:p50_1m",
                        0,
                        ("catalog", 0.75),
                        ("monolith", 0.075),
                    ),
                ],
                "alert_rule_test": alerts,
            }
        ],
    }
    tests = tmp_path / "rules.test.yml"
    tests.write_text(yaml.safe_dump(test, sort_keys=False))
    assert "SUCCESS" in promtool("test", "rules", str(tests))


@needs_promtool
def test_a_teams_own_prometheus_gets_the_same_rules(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "strangler_proxy.stack.prometheus", *args],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    printed = run()
    assert printed.returncode == 0, printed.stderr
    rules = tmp_path / "strangler.rules.yml"
    rules.write_text(printed.stdout)
    checked = promtool("check", "rules", str(rules))
    assert "SUCCESS: 14 rules found" in checked and "duplicate" not in checked
    refused = run("strangler-rules.toml")
    assert refused.returncode == 2 and "takes no arguments" in refused.stderr
