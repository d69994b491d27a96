import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from strangler_proxy.cli import main
from strangler_proxy.routing import Mode
from strangler_proxy.store import SqliteFlagStore

ROOT = Path(__file__).resolve().parents[3]

REPORT: dict[str, list[dict[str, Any]]] = {
    "endpoints": [
        {
            "pattern": "/api/catalog/products/",
            "methods": ["GET", "POST"],
            "view": "v.list",
            "name": "product-list",
            "service": "catalog",
        },
        {
            "pattern": "/api/catalog/products/{pk}/",
            "methods": ["GET"],
            "view": "v.detail",
            "name": "product-detail",
            "service": "catalog",
        },
        {
            "pattern": r"^api/orders/(?P<pk>\d+)/$",
            "methods": ["GET"],
            "view": "o.detail",
            "name": "order-detail",
            "service": "orders",
        },
        {
            "pattern": r"^api/(a|b)/$",
            "methods": ["GET"],
            "view": "x",
            "name": "weird",
            "service": None,
        },
    ]
}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["routes", "import", *args], env={"COLUMNS": "200"})


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(REPORT))
    return path


def test_import_from_a_report_then_reimport_keeps_flags(tmp_path: Path, report: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    first = run("--from", str(report), "--store", store_url)
    assert first.exit_code == 0, first.output
    assert "skipped ^api/(a|b)/$" in first.output
    store = SqliteFlagStore(tmp_path / "flags.sqlite3")
    table = store.load()
    assert [r.id for r in table.routes()] == ["product-list", "product-detail", "order-detail"]
    assert {r.mode for r in table.routes()} == {Mode.MONOLITH}
    assert table.get("order-detail").template == "/api/orders/{pk:int}/"  # type: ignore[union-attr]

    store.register_service("catalog", ["http://127.0.0.1:8101"], actor="t")
    store.set_route("product-detail", mode="service", actor="t", reason="cut over")
    without_order_detail = {
        "endpoints": [e for e in REPORT["endpoints"] if e["name"] != "order-detail"]
    }
    report.write_text(json.dumps(without_order_detail))
    dry = run("--from", str(report), "--store", store_url, "--dry-run")
    assert dry.exit_code == 0 and "dry run" in dry.output
    assert store.load().get("order-detail") is not None  # nothing written

    again = run("--from", str(report), "--store", store_url)
    assert again.exit_code == 0, again.output
    table = store.load()
    assert table.get("order-detail") is None  # gone from the source, was on the monolith
    assert table.get("product-detail").mode is Mode.SERVICE  # type: ignore[union-attr]
    assert store.history("product-detail")[0].reason == "cut over"


def test_a_dry_run_on_a_missing_store_shows_everything_new_and_creates_nothing(
    tmp_path: Path, report: Path
) -> None:
    store_url = f"sqlite:///{tmp_path / 'nonexistent' / 'dir' / 'flags.sqlite3'}"
    dry = run("--from", str(report), "--store", store_url, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "it would be created, every route added" in dry.output
    assert "added 3" in [" ".join(line.split()) for line in dry.output.splitlines()]
    assert "nothing written" in dry.output
    assert not (tmp_path / "nonexistent").exists(), "no folder, no file: nothing written"


def test_import_creates_a_missing_store_and_says_so(tmp_path: Path, report: Path) -> None:
    path = tmp_path / "nonexistent" / "dir" / "flags.sqlite3"
    first = run("--from", str(report), "--store", f"sqlite:///{path}")
    assert first.exit_code == 0, first.output
    assert f"created flag store {path}\n" in first.output
    assert len(SqliteFlagStore(path).load()) == 3
    again = run("--from", str(report), "--store", f"sqlite:///{path}")
    assert again.exit_code == 0 and "created" not in again.output


def test_bad_report_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"modules": []}')
    result = run("--from", str(path), "--store", f"sqlite:///{tmp_path / 'f.sqlite3'}")
    assert result.exit_code == 1
    assert "has no 'endpoints' list" in result.output
    path.write_text("{oops")
    result = run("--from", str(path), "--store", f"sqlite:///{tmp_path / 'f.sqlite3'}")
    assert result.exit_code == 1 and "cannot read" in result.output


def test_import_from_the_monolith_source_by_static_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRANGLER_CACHE_DIR", str(tmp_path / "user-cache"))
    source = tmp_path / "legacy_monolith"  # a copy: this test watches what lands in it
    shutil.copytree(
        ROOT / "legacy_monolith", source, ignore=shutil.ignore_patterns(".*", "__pycache__")
    )
    before = sorted(source.rglob("*"))
    store_path = tmp_path / "flags.sqlite3"
    result = run("--source", str(source), "--store", f"sqlite:///{store_path}")
    assert result.exit_code == 0, result.output
    table = SqliteFlagStore(store_path).load()
    assert len(table) >= 20
    detail = table.match("GET", "/api/catalog/products/42/")
    assert detail is not None and detail.mode is Mode.MONOLITH
    assert table.match("POST", "/api/orders/checkout/") is not None
    assert sorted(source.rglob("*")) == before  # the analyzer's cache is not in the tree
    assert list((tmp_path / "user-cache").rglob("facts.json"))


def test_a_source_file_that_does_not_parse_stops_the_import_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its URL patterns would be missed and a re-import would remove their routes."""
    monkeypatch.setenv("STRANGLER_CACHE_DIR", str(tmp_path / "user-cache"))
    source = tmp_path / "legacy_monolith"
    shutil.copytree(
        ROOT / "legacy_monolith", source, ignore=shutil.ignore_patterns(".*", "__pycache__")
    )
    store_url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    assert run("--source", str(source), "--store", store_url).exit_code == 0
    before = len(SqliteFlagStore(tmp_path / "flags.sqlite3").load())
    views = source / "orders" / "views.py"
    views.write_text(views.read_text() + "\ndef broken(:\n")
    result = run("--source", str(source), "--store", store_url)
    assert result.exit_code == 1
    assert f"{views}:" in result.output and "--allow-broken" in result.output
    assert len(SqliteFlagStore(tmp_path / "flags.sqlite3").load()) == before  # nothing removed
    allowed = run("--source", str(source), "--store", store_url, "--allow-broken")
    assert allowed.exit_code == 0, allowed.output
