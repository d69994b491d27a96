"""``manage.py backfill_catalog --from URL`` copies the monolith's catalog through its API,
by id: everything the monolith has arrives once, a re-run writes nothing, and a run cut
short is completed by running it again."""

from __future__ import annotations

import socket
import sqlite3

import httpx

from tests.conftest import RunningServer
from tests.extracted_services.catalog.conftest import Catalog
from tests.extracted_services.catalog.service import backfill, manage, tallies


def monolith_count(monolith: str, path: str, token: str) -> int:
    answer = httpx.get(f"{monolith}{path}", headers={"Authorization": f"Token {token}"})
    return int(answer.json()["count"])


def test_the_first_run_copies_every_row(monolith_server: RunningServer, catalog: Catalog) -> None:
    url, token = monolith_server.base_url, catalog.token
    expected = {
        "categories": monolith_count(url, "/api/catalog/categories/", token),
        "products": monolith_count(url, "/api/catalog/products/", token),  # inactive too
        "reviews": monolith_count(url, "/api/reviews/", token),
    }
    copied = tallies(catalog.first_backfill)
    for entity, count in expected.items():
        assert copied[entity] == f"{count} created, 0 updated, 0 unchanged"
    assert copied["prices"].endswith(" created, 0 updated, 0 unchanged")


def test_a_rerun_changes_nothing(monolith_server: RunningServer, catalog: Catalog) -> None:
    done = backfill(catalog.var_dir, monolith_server.base_url, catalog.token)
    assert done.returncode == 0, done.stderr
    assert all(t.startswith("0 created, 0 updated, ") for t in tallies(done.stdout).values())
    assert done.stdout.splitlines()[-1] == "backfill done: 0 rows written"


def test_a_run_cut_short_is_completed_by_running_it_again(
    monolith_server: RunningServer, catalog: Catalog
) -> None:
    # What an interrupted run leaves: some rows never arrived, one is stale.
    with sqlite3.connect(catalog.var_dir / "catalog.sqlite3") as db:
        db.execute("DELETE FROM catalog_review WHERE id IN (SELECT id FROM catalog_review LIMIT 3)")
        db.execute(
            "DELETE FROM catalog_pricehistory WHERE id = (SELECT MAX(id) FROM catalog_pricehistory)"
        )
        db.execute("UPDATE catalog_product SET name = 'stale' WHERE id = 1")
    done = backfill(catalog.var_dir, monolith_server.base_url, catalog.token)
    assert done.returncode == 0, done.stderr
    copied = tallies(done.stdout)
    assert copied["reviews"].startswith("3 created, 0 updated, ")
    assert copied["prices"].startswith("1 created, 0 updated, ")
    assert copied["products"].startswith("0 created, 1 updated, ")
    assert copied["categories"].startswith("0 created, 0 updated, ")


def test_an_unreachable_monolith_is_a_clear_error(catalog: Catalog) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    done = backfill(catalog.var_dir, dead, catalog.token)
    assert done.returncode == 1
    assert f"backfill stopped: GET {dead}/api/catalog/categories/" in done.stderr
    assert "(run it again to resume)" in done.stderr
    assert "Traceback" not in done.stderr


def test_from_must_be_a_url(catalog: Catalog) -> None:
    done = manage(catalog.var_dir, "backfill_catalog", "--from", "monolith:8000")
    assert done.returncode == 1
    assert "--from 'monolith:8000': give the monolith's http(s):// base URL" in done.stderr


def test_the_copy_starts_every_entity_at_version_0(catalog: Catalog) -> None:
    """Backfilled state precedes every event: the monolith's first event (version 1) for an
    entity applies, and the service's first own write is version 1 too."""
    with sqlite3.connect(catalog.var_dir / "catalog.sqlite3") as db:
        versions = dict(
            db.execute(
                "SELECT aggregatetype, MAX(version) FROM entity_version GROUP BY aggregatetype"
            ).fetchall()
        )
        counts = {
            kind: db.execute(f"SELECT COUNT(*) FROM catalog_{kind}").fetchone()[0]
            for kind in ("category", "product", "review")
        }
        kept = dict(
            db.execute("SELECT aggregatetype, COUNT(*) FROM entity_version GROUP BY 1").fetchall()
        )
    assert versions == {"category": 0, "order": 0, "product": 0, "review": 0}
    assert {kind: kept[kind] for kind in counts} == counts


def test_the_products_on_orders_are_copied_for_verified_purchases(
    monolith_server: RunningServer, catalog: Catalog
) -> None:
    headers = {"Authorization": f"Token {catalog.token}"}
    orders = httpx.get(f"{monolith_server.base_url}/api/orders/?page_size=100", headers=headers)
    expected = {
        (order["id"], line["product"], order["customer"], order["status"])
        for order in orders.json()["results"]
        for line in order["lines"]
    }
    with sqlite3.connect(catalog.var_dir / "catalog.sqlite3") as db:
        copied = set(
            db.execute("SELECT order_id, product_id, customer_id, status FROM catalog_purchase")
        )
    assert copied == expected
    assert (
        tallies(catalog.first_backfill)["purchases"]
        == f"{len(expected)} created, 0 updated, 0 unchanged"
    )
