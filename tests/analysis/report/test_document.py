"""report.json: every documented key, plain JSON, the findings a reader looks for."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import analysis.report

SCHEMA = Path(analysis.report.__file__).with_name("SCHEMA.md")


def documented_keys() -> set[str]:
    rows = re.findall(r"^\| `([a-z_]+)(?:\.[a-z_]+)?(?:\[\])?[^`]*` \|", SCHEMA.read_text(), re.M)
    return set(rows)


def test_the_document_has_exactly_the_documented_top_level_keys(doc: dict[str, Any]) -> None:
    assert set(doc) == documented_keys()


def test_the_document_is_plain_json_and_written_as_such(doc: dict[str, Any], written: Path) -> None:
    assert json.loads((written / "report.json").read_text()) == json.loads(json.dumps(doc))


def test_modules_models_endpoints_carry_their_service(doc: dict[str, Any]) -> None:
    modules = {m["name"]: m for m in doc["modules"]}
    assert modules["api.catalog.views"] == {
        "name": "api.catalog.views",
        "path": "api/catalog/views.py",
        "app": None,
        "lines": 50,
        "service": "catalog",
    }
    models = {m["label"]: m for m in doc["models"]}
    assert models["orders.OrderLine"]["relations"] == [
        {"field": "product", "target": "catalog.Product", "relation": "fk"},
        {"field": "order", "target": "orders.Order", "relation": "fk"},
    ]
    assert models["common.TimeStamped"]["abstract"] is True
    endpoints = {e["pattern"]: e for e in doc["endpoints"]}
    assert endpoints["/api/orders/{pk}/checkout/"]["service"] == "orders"
    assert endpoints["/api/orders/{pk}/checkout/"]["methods"] == ["POST"]


def test_metrics_include_the_agreement_with_the_truth(doc: dict[str, Any]) -> None:
    assert doc["metrics"]["truth"] == {"mojofm": 100.0, "ari": 1.0, "nmi": 1.0, "compared": 11}
    assert 0 < doc["metrics"]["proposal"]["icp"] < 1


def test_every_planted_smell_of_the_literal_shop_is_reported(doc: dict[str, Any]) -> None:
    kinds = {s["kind"] for s in doc["smells"]}

    assert kinds == {
        "cross-app-fk",
        "cross-service-call",
        "foreign-write",
        "cross-service-transaction",
        "cross-service-signal",
        "import-cycle",
        "shared-utility",
    }


def test_broken_files_and_timings_are_kept(doc: dict[str, Any]) -> None:
    assert doc["broken_files"][0]["path"] == "legacy/py2.py"
    assert doc["summary"]["broken_files"] == 1
    assert doc["timings"] == {"parse": 0.25, "total": 0.5}
