"""``strangler reconcile catalog`` on the real monolith's database and the catalog service's,
backfilled from it: no drift after the backfill; a change made by SQL on one side is
reported as exactly the rows it touched, with their fields."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from strangler_proxy.cli import main
from tests.strangler_proxy.reconcile.conftest import Sides


def reconcile(var_dir: Path, *more: str) -> Result:
    return CliRunner().invoke(main, ["reconcile", "catalog", "--var-dir", str(var_dir), *more])


def drift(sides: Sides) -> dict[str, Any]:
    """The JSON report, per kind; exit status 1 (drift) or 0 (none) checked against it."""
    done = reconcile(sides.var_dir, "--json")
    found = json.loads(done.output)
    assert done.exit_code == (1 if found["drift"] else 0), done.output
    return {kind["kind"]: kind for kind in found["kinds"]}


def changed(kinds: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {name: kind["rows"] for name, kind in kinds.items() if kind["drift"]}


def test_no_drift_after_the_backfill(sides: Sides) -> None:
    kinds = drift(sides)
    assert changed(kinds) == {}
    assert list(kinds) == ["categories", "products", "price_history", "reviews"]
    for kind in kinds.values():
        assert kind["monolith"] == kind["service"]
        assert kind["monolith"]["count"] > 0
    done = reconcile(sides.var_dir)
    assert done.exit_code == 0
    lines = done.output.splitlines()
    assert lines[0] == "Catalog: monolith against service"
    assert all(line.endswith("same") for line in lines[2:6]), done.output


def test_a_price_changed_in_the_service_is_that_one_field(sides: Sides) -> None:
    sku, price = sides.one("monolith", "SELECT sku, price FROM catalog_product WHERE id = 2")
    assert sides.sql("service", "UPDATE catalog_product SET price = '0.99' WHERE id = 2") == 1
    rows = changed(drift(sides))
    assert list(rows) == ["products"]
    (row,) = rows["products"]
    assert (row["id"], row["status"]) == (2, "differs")
    assert row["fields"] == {"price": {"monolith": f"{float(str(price)):g}", "service": "0.99"}}
    assert row["row"]["sku"] == sku
    table = reconcile(sides.var_dir)
    assert table.exit_code == 1
    assert "products: 1 row differs" in table.output
    assert any(
        line.split() == ["2", "differs", "price", repr(f"{float(str(price)):g}"), "'0.99'"]
        for line in table.output.splitlines()
    ), table.output


def test_a_review_deleted_in_the_service_is_missing_there_with_its_fields(sides: Sides) -> None:
    review, author = sides.one(
        "monolith",
        "SELECT r.id, u.username FROM reviews_review r JOIN customers_customer c "
        "ON c.id = r.author_id JOIN auth_user u ON u.id = c.user_id ORDER BY r.id LIMIT 1",
    )
    assert sides.sql("service", "DELETE FROM catalog_review WHERE id = ?", review) == 1
    rows = changed(drift(sides))
    assert list(rows) == ["reviews"]
    (row,) = rows["reviews"]
    assert (row["id"], row["status"], row["fields"]) == (review, "missing_in_service", {})
    assert row["row"]["author"] == author
    assert set(row["row"]) >= {"product_id", "rating", "title", "helpful_count"}


def test_a_product_added_to_the_monolith_and_a_tag_dropped(sides: Sides) -> None:
    sides.sql(
        "monolith",
        "INSERT INTO catalog_product (id, sku, name, description, category_id, price, weight_kg,"
        " is_active, rating_avg, rating_count, created_at, updated_at) VALUES (9001, 'NEW-1',"
        " 'Added by hand', '', 1, '5.00', 0.5, 1, NULL, 0, '2026-12-01 10:00:00',"
        " '2026-12-01 10:00:00')",
    )
    product, tag = sides.one(
        "monolith",
        "SELECT pt.product_id, t.name FROM catalog_product_tags pt "
        "JOIN catalog_tag t ON t.id = pt.tag_id ORDER BY pt.id LIMIT 1",
    )
    sides.sql("monolith", "DELETE FROM catalog_product_tags WHERE product_id = ?", product)
    rows = changed(drift(sides))
    assert list(rows) == ["products"]
    by_id = {row["id"]: row for row in rows["products"]}
    assert set(by_id) == {product, 9001}
    added = by_id[9001]
    assert (added["status"], added["row"]["sku"], added["row"]["price"]) == (
        "missing_in_service", "NEW-1", "5",
    )  # fmt: skip
    assert added["row"]["created_at"] == "2026-12-01T10:00:00.000000Z"
    assert by_id[product]["status"] == "differs"
    assert list(by_id[product]["fields"]) == ["tags"]
    assert by_id[product]["fields"]["tags"]["monolith"] == []
    assert tag in by_id[product]["fields"]["tags"]["service"]


def test_a_row_only_the_service_has(sides: Sides) -> None:
    sides.sql(
        "service",
        "INSERT INTO catalog_category (id, name, slug, parent_id, description, created_at,"
        " updated_at) VALUES (777, 'Ghosts', 'ghosts', NULL, '', '2026-12-01 10:00:00',"
        " '2026-12-01 10:00:00')",
    )
    rows = changed(drift(sides))
    assert [(r["id"], r["status"]) for r in rows["categories"]] == [(777, "missing_in_monolith")]
    table = reconcile(sides.var_dir).output
    assert "missing in monolith" in table
    assert "'Ghosts'" in table


def test_a_missing_database_is_named_with_its_option(tmp_path: Path) -> None:
    done = reconcile(tmp_path)
    assert done.exit_code == 2
    assert "--monolith-db" in done.output
    assert f"no database file {tmp_path / 'monolith.sqlite3'}" in done.output


def test_a_database_without_the_tables_is_named(sides: Sides, tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    done = reconcile(sides.var_dir, "--service-db", f"sqlite:///{empty}")
    assert done.exit_code == 2
    assert "--service-db" in done.output
    assert "no table catalog_category, catalog_product" in done.output


def test_the_connections_are_read_only(sides: Sides) -> None:
    """A mode=ro URI: not even SQLite's journal is written (the files stay as they were)."""
    before = {p: p.stat().st_mtime_ns for p in (sides.monolith, sides.service)}
    assert reconcile(sides.var_dir).exit_code == 0
    assert {p: p.stat().st_mtime_ns for p in before} == before
