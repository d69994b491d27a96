"""``routes import --json``: what changed, by route id, and nothing else on stdout (so it
parses as it comes, from the monolith's source or from a report)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from strangler_proxy.cli import main
from tests.strangler_proxy.cli.test_routes_import import REPORT, ROOT


def run_import(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["routes", "import", "--json", *args])
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_a_dry_run_then_the_import_itself(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps(REPORT))
    store = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    dry = run_import("--from", str(report), "--store", store, "--dry-run")
    assert dry["dry_run"] is True and dry["new_store"] is True
    assert sorted(dry["added"]) == ["order-detail", "product-detail", "product-list"]
    assert not (tmp_path / "flags.sqlite3").exists()
    assert dry["skipped"] == [
        {"pattern": r"^api/(a|b)/$", "why": "regex construct '(a|b)/' has no template equivalent"}
    ]
    done = run_import("--from", str(report), "--store", store)
    assert (done["new_store"], done["added"], done["removed"]) == (True, dry["added"], [])
    again = run_import("--from", str(report), "--store", store)
    assert (again["new_store"], again["added"]) == (False, [])
    assert again["unchanged"] == dry["added"]


def test_from_the_monolith_source_stdout_is_only_json(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    source = str(ROOT / "legacy_monolith")
    done = run_import("--source", source, "--store", store, "--dry-run")
    assert "product-detail" in done["added"]
    assert done["from"] == f"static analysis of {source}"
