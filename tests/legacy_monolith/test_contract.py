"""The API contract as a whole: who may call what, and the size the issue asks for."""

import json
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import get_resolver

from tests.legacy_monolith.conftest import assert_error

PRIVATE = [
    ("get", "/api/customers/me/"),
    ("patch", "/api/customers/me/"),
    ("get", "/api/customers/addresses/"),
    ("post", "/api/customers/addresses/"),
    ("get", "/api/customers/addresses/1/"),
    ("delete", "/api/customers/addresses/1/"),
    ("get", "/api/inventory/warehouses/"),
    ("get", "/api/inventory/stock/"),
    ("get", "/api/inventory/stock/1/"),
    ("post", "/api/inventory/stock/1/adjust/"),
    ("get", "/api/inventory/reservations/"),
    ("post", "/api/inventory/reservations/"),
    ("get", "/api/inventory/reservations/1/"),
    ("post", "/api/inventory/reservations/1/release/"),
    ("get", "/api/orders/cart/"),
    ("post", "/api/orders/cart/items/"),
    ("patch", "/api/orders/cart/items/1/"),
    ("delete", "/api/orders/cart/items/1/"),
    ("post", "/api/orders/cart/clear/"),
    ("post", "/api/orders/checkout/"),
    ("get", "/api/orders/"),
    ("get", "/api/orders/1/"),
    ("post", "/api/orders/1/cancel/"),
    ("get", "/api/payments/"),
    ("get", "/api/payments/1/"),
    ("post", "/api/payments/1/refund/"),
    ("get", "/api/shipping/shipments/"),
    ("get", "/api/shipping/shipments/1/"),
    ("post", "/api/shipping/shipments/1/dispatch/"),
    ("post", "/api/shipping/shipments/1/deliver/"),
    ("get", "/api/shipping/rates/?address=1"),
    ("post", "/api/reviews/"),
    ("patch", "/api/reviews/1/"),
    ("post", "/api/reviews/1/helpful/"),
    ("get", "/api/notifications/"),
    ("post", "/api/notifications/1/read/"),
    ("post", "/api/catalog/products/"),
    ("delete", "/api/catalog/categories/1/"),
]
PUBLIC = [
    "/api/catalog/categories/",
    "/api/catalog/categories/1/",
    "/api/catalog/products/",
    "/api/catalog/products/1/",
    "/api/catalog/products/1/prices/",
    "/api/catalog/products/1/availability/",
    "/api/reviews/",
    "/health/",
]
STAFF_ONLY = [
    ("post", "/api/catalog/categories/"),
    ("patch", "/api/catalog/products/1/"),
    ("delete", "/api/catalog/products/1/"),
    ("post", "/api/inventory/warehouses/"),
    ("patch", "/api/inventory/warehouses/1/"),
    ("post", "/api/inventory/stock/1/adjust/"),
    ("post", "/api/payments/1/refund/"),
    ("post", "/api/shipping/shipments/1/dispatch/"),
    ("post", "/api/shipping/shipments/1/deliver/"),
]


@pytest.mark.parametrize(("method", "path"), PRIVATE)
def test_anonymous_callers_get_401(anon, method, path):
    response = getattr(anon, method)(path, {}, format="json")
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize("path", PUBLIC)
def test_public_reads_need_no_login(anon, path):
    assert anon.get(path).status_code == 200


@pytest.mark.parametrize(("method", "path"), STAFF_ONLY)
def test_customers_get_403_on_staff_actions(alice, method, path):
    response = getattr(alice, method)(path, {}, format="json")
    assert_error(response, 403, "permission_denied")


def test_the_shop_is_big_enough():
    shop_models = [m for m in apps.get_models() if m.__module__.startswith("legacy_monolith.")]
    assert len(shop_models) >= 20

    def routes(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if hasattr(entry, "url_patterns"):
                yield from routes(entry, prefix + str(entry.pattern))
            else:
                yield prefix + str(entry.pattern)

    api = {r for r in routes(get_resolver()) if r.startswith("api/") and "format" not in r}
    assert len(api) >= 35, sorted(api)


LEGACY = Path(__file__).resolve().parents[2] / "legacy_monolith"


def test_domain_md_points_at_code_that_exists():
    text = (LEGACY / "DOMAIN.md").read_text()
    refs = re.findall(r"`([a-z_/]+\.py):([A-Za-z_]+)", text)
    assert len(refs) > 25
    for path, name in refs:
        source = (LEGACY / path).read_text()
        defined = rf"\b(def|class) {name}\b|^{name} = "
        assert re.search(defined, source, re.MULTILINE), f"{path}:{name} not found"


def test_domain_truth_names_real_apps():
    truth = json.loads((LEGACY / "domain_truth.json").read_text())
    labels = {c.name for c in apps.get_app_configs()}
    assert set(truth) <= labels
    assert truth["legacy_monolith.reviews"] == truth["legacy_monolith.catalog"]
    assert "legacy_monolith.common" not in truth
