"""report.md: the same findings, readable in a pull request."""

from __future__ import annotations

from pathlib import Path


def test_the_markdown_report_has_every_section(written: Path) -> None:
    text = (written / "report.md").read_text()

    for heading in (
        "## Services",
        "## Metrics",
        "## Table ownership",
        "## Contested tables",
        "## Extraction plan",
        "## Cycles between services",
        "## Coupling smells",
        "## Files skipped",
    ):
        assert heading in text


def test_a_contested_table_lists_its_exact_write_sites(written: Path) -> None:
    text = (written / "report.md").read_text()

    assert "- **payments.Payment** (owner payments):" in text
    assert "`shop.orders.services` at shop/orders/services.py:10:checkout" in text


def test_each_extraction_step_lists_its_cuts(written: Path) -> None:
    text = (written / "report.md").read_text()

    assert "- `orders.OrderLine.product` -> `catalog.Product` (fk)" in text
    assert "- `POST /api/orders/{pk}/checkout/` (shop.orders.views.View)" in text
    assert "spans catalog, orders, payments" in text
    assert "- orders -> payments (weight 2)" in text
