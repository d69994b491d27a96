"""The promotion gate: a route moves to canary or service only on enough matching shadow
evidence (its bar), else the flip is refused saying what is missing; --force passes it with
a reason, and the audit log says it was forced and past what."""

from __future__ import annotations

import time

import httpx

from strangler_proxy.compare.diff import Difference, Kind
from strangler_proxy.evidence.sample import Sample
from strangler_proxy.evidence.store import open_evidence
from strangler_proxy.routing import Mode
from tests.strangler_proxy.cli.conftest import TOKEN, RunningAdmin
from tests.strangler_proxy.cli.test_routes_and_services_cli import strangler

CANARY = ("routes", "set", "product-list", "canary", "--percent", "5")


def record(running_admin: RunningAdmin, matches: int, mismatches: int = 0) -> None:
    """Shadow evidence, as the proxy keeps it beside the flag store."""
    store = open_evidence(f"sqlite:///{running_admin.store_path.with_name('evidence.sqlite3')}",
                          create=True)  # fmt: skip
    found = (Difference("$.price", Kind.TYPE, "12.50", 12.5),)
    store.record(
        [Sample("product-list", time.time(), "GET", "/api/catalog/products/", "", (), None,
                "match", 200, 200)] * matches
        + [Sample("product-list", time.time(), "GET", "/api/catalog/products/", "", (), None,
                  "mismatch", 200, 200, found)] * mismatches
    )  # fmt: skip
    store.close()


def test_the_gate_refuses_until_the_evidence_meets_the_bar(running_admin: RunningAdmin) -> None:
    refused = strangler(running_admin, *CANARY, "--reason", "first 5%")
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        "Error: 409: product-list may not move to canary yet: 0 samples, the bar is 200"
        " (shadow it longer) (force it with a reason if you must)"
    )
    record(running_admin, matches=190, mismatches=5)
    refused = strangler(running_admin, *CANARY, "--reason", "first 5%")
    assert "195 samples, the bar is 200" in refused.output
    assert "match rate 97.44% after noise, the bar is 99.50%" in refused.output
    assert running_admin.store().get_route("product-list").mode is Mode.MONOLITH
    record(running_admin, matches=1000)  # retention keeps the newest 1000: all matches
    allowed = strangler(running_admin, *CANARY, "--reason", "first 5%")
    assert allowed.exit_code == 0, allowed.output
    assert running_admin.store().get_route("product-list").mode is Mode.CANARY


def test_force_passes_the_gate_and_the_audit_says_past_what(running_admin: RunningAdmin) -> None:
    forced = strangler(running_admin, *CANARY, "--reason", "demo day", "--force")
    assert forced.exit_code == 0, forced.output
    [record_] = running_admin.store().history("product-list", limit=1)
    assert record_.reason == (
        "demo day [forced past the promotion gate: 0 samples, the bar is 200 (shadow it longer)]"
    )


def test_canary_to_service_is_not_gated_again(running_admin: RunningAdmin) -> None:
    assert strangler(running_admin, *CANARY, "--reason", "r", "--force").exit_code == 0
    done = strangler(running_admin, "routes", "set", "product-list", "service", "--reason", "all")
    assert done.exit_code == 0, done.output


def test_bad_input_is_a_400_before_the_gate(running_admin: RunningAdmin) -> None:
    done = strangler(running_admin, "routes", "set", "product-detail", "service", "--reason", "r")
    assert "400: service: mode service needs a service" in done.output


def test_the_admin_api_serves_the_evidence(running_admin: RunningAdmin) -> None:
    record(running_admin, matches=3, mismatches=1)
    auth = {"authorization": "Bearer " + TOKEN}
    [summary] = httpx.get(running_admin.url + "/diffs", headers=auth).json()["routes"]
    assert (summary["route"], summary["samples"], summary["match_rate"]) == (
        "product-list",
        4,
        0.75,
    )
    one = httpx.get(running_admin.url + "/diffs/product-list?limit=2", headers=auth).json()
    assert one["top_paths"][0]["path"] == "$.price" and len(one["samples"]) == 2
    assert one["bar"] == {"min_samples": 200, "min_match_rate": 0.995, "max_unanswered_rate": 0.01}
    assert httpx.get(running_admin.url + "/diffs").status_code == 401
