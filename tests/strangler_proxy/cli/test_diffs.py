"""``strangler diffs``: the evidence read back per route, and the rules file kept by hand."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from strangler_proxy.compare.diff import Difference, Kind
from strangler_proxy.evidence.sample import Sample
from strangler_proxy.evidence.store import open_evidence

STRANGLER = Path(sys.executable).with_name("strangler")
ROUTE = "catalog-product-detail-with-a-long-id"


def strangler(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STRANGLER, "diffs", *args], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, check=False, env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def record(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'evidence.sqlite3'}"
    store = open_evidence(url, create=True)
    now = time.time()
    price = (Difference("$.results[4].price", Kind.TYPE, "12.50", 12.5),)
    store.record(
        [Sample(ROUTE, now, "GET", "/api/catalog/products/", "page=2", (), None, "mismatch",
                200, 200, price, ("$.results[4].served_at",))]
        + [Sample(ROUTE, now, "GET", "/api/catalog/products/", "", (), None, "match", 200, 200)] * 2
        + [Sample(ROUTE, now, "GET", "/api/catalog/products/", "", (), None, "noise", 200, 200,
                  (), ("$.results[0].served_at",))]
    )  # fmt: skip
    store.close()
    return url


def test_summary_shows_whole_route_ids_when_piped_at_80_columns(tmp_path: Path) -> None:
    record(tmp_path)
    done = strangler(tmp_path, "summary")
    assert done.returncode == 0, done.stderr
    [row] = [line for line in done.stdout.splitlines() if line.startswith(ROUTE)]
    assert row.split()[:5] == [ROUTE, "4", "75.0%", "25.0%", "0.0%"]
    assert "$.results[*].price (1)" in row


def test_summary_and_show_as_json(tmp_path: Path) -> None:
    record(tmp_path)
    [found] = json.loads(strangler(tmp_path, "summary", "--json").stdout)
    assert (found["route"], found["samples"], found["match_rate"]) == (ROUTE, 4, 0.75)
    shown = json.loads(strangler(tmp_path, "show", ROUTE, "--json").stdout)
    assert shown["top_paths"] == [
        {"path": "$.results[*].price", "count": 1, "example": "GET /api/catalog/products/?page=2",
         "monolith": "12.50", "service": 12.5}
    ]  # fmt: skip
    assert len(shown["samples"]) == 4


def test_show_names_the_example_request(tmp_path: Path) -> None:
    record(tmp_path)
    done = strangler(tmp_path, "show", ROUTE)
    assert "GET /api/catalog/products/?page=2" in done.stdout
    assert strangler(tmp_path, "show", "nope").returncode == 1


def test_learn_turns_noise_into_ignore_rules_once(tmp_path: Path) -> None:
    record(tmp_path)
    (tmp_path / "strangler-rules.toml").write_text("# rules of the catalog team\n")
    done = strangler(tmp_path, "learn", ROUTE)
    assert done.stdout == f"strangler-rules.toml: rules added to [routes.{ROUTE}]\n"
    text = (tmp_path / "strangler-rules.toml").read_text()
    assert text.startswith("# rules of the catalog team\n")
    assert 'ignore = ["$.results[*].served_at"]' in text
    again = strangler(tmp_path, "learn", ROUTE)
    assert again.stdout == "strangler-rules.toml: those rules are there already\n"


def test_rules_are_added_from_the_command_line_and_checked(tmp_path: Path) -> None:
    done = strangler(tmp_path, "rules", "--ignore", "$..created_at", "--unordered", "$.tags")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "strangler-rules.toml").read_text() == (
        '[global]\nignore = ["$..created_at"]\nunordered = [{path = "$.tags"}]\n'
    )
    bad = strangler(tmp_path, "rules", "--route", "x", "--ignore", "created_at")
    assert bad.returncode == 1
    assert "routes.x.ignore: bad path glob 'created_at' at 0" in bad.stderr
    assert 'created_at"' not in (tmp_path / "strangler-rules.toml").read_text().split("[global]")[0]


def test_no_evidence_store_is_a_clear_error_that_creates_nothing(tmp_path: Path) -> None:
    done = strangler(tmp_path, "summary", "--evidence", "sqlite:///typo/evidence.sqlite3")
    assert done.returncode == 1
    assert "no evidence store at typo/evidence.sqlite3" in done.stderr
    assert not (tmp_path / "typo").exists()
