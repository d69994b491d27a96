"""``strangler analyze`` end to end: the real command on small literal projects and the monolith."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
STRANGLER = str(Path(sys.executable).with_name("strangler"))

PROJECT = {
    "shop/__init__.py": "",
    "shop/catalog/__init__.py": "",
    "shop/catalog/apps.py": (
        "from django.apps import AppConfig\n\n\n"
        "class CatalogConfig(AppConfig):\n    name = 'shop.catalog'\n"
    ),
    "shop/catalog/models.py": (
        "from django.db import models\n\n\n"
        "class Category(models.Model):\n    name = models.CharField(max_length=50)\n\n\n"
        "class Product(models.Model):\n"
        "    category = models.ForeignKey(Category, on_delete=models.CASCADE)\n"
        "    price = models.DecimalField(max_digits=8, decimal_places=2)\n"
    ),
    "shop/catalog/views.py": (
        "from django.http import JsonResponse\n\nfrom shop.catalog.models import Product\n\n\n"
        "def products(request):\n"
        "    return JsonResponse({'count': Product.objects.filter(price__gt=0).count()})\n\n\n"
        "def reprice(request, pk):\n"
        "    Product.objects.filter(pk=pk).update(price=1)\n"
        "    return JsonResponse({})\n"
    ),
    "shop/catalog/urls.py": (
        "from django.urls import path\n\nfrom shop.catalog import views\n\n"
        "urlpatterns = [\n    path('products/', views.products),\n"
        "    path('products/<int:pk>/reprice/', views.reprice),\n]\n"
    ),
    "shop/orders/__init__.py": "",
    "shop/orders/apps.py": (
        "from django.apps import AppConfig\n\n\n"
        "class OrdersConfig(AppConfig):\n    name = 'shop.orders'\n"
    ),
    "shop/orders/models.py": (
        "from django.db import models\n\n\n"
        "class Order(models.Model):\n    total = models.IntegerField(default=0)\n\n\n"
        "class OrderLine(models.Model):\n"
        "    order = models.ForeignKey(Order, on_delete=models.CASCADE)\n"
        "    product = models.ForeignKey('catalog.Product', on_delete=models.PROTECT)\n"
    ),
    "shop/orders/views.py": (
        "from django.db import transaction\nfrom django.http import JsonResponse\n\n"
        "from shop.catalog.models import Product\nfrom shop.orders.models import Order, OrderLine\n"
        "\n\ndef checkout(request):\n    with transaction.atomic():\n"
        "        order = Order.objects.create(total=1)\n"
        "        OrderLine.objects.create(order=order, product=Product.objects.get(pk=1))\n"
        "        Product.objects.filter(pk=1).update(price=2)\n"
        "    return JsonResponse({'id': order.pk})\n"
    ),
    "shop/orders/urls.py": (
        "from django.urls import path\n\nfrom shop.orders import views\n\n"
        "urlpatterns = [path('checkout/', views.checkout)]\n"
    ),
    "shop/urls.py": (
        "from django.urls import include, path\n\n"
        "urlpatterns = [\n    path('api/catalog/', include('shop.catalog.urls')),\n"
        "    path('api/orders/', include('shop.orders.urls')),\n]\n"
    ),
}
TRUTH = {"shop.catalog": "catalog", "shop.orders": "orders"}


@pytest.fixture(autouse=True)
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The per-user cache (``~/.cache/strangler``) of this test's commands."""
    monkeypatch.setenv("STRANGLER_CACHE_DIR", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache"


def strangler(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STRANGLER, "analyze", *args], cwd=cwd, capture_output=True, text=True, timeout=240
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (tmp_path / "truth.json").write_text(json.dumps(TRUTH))
    return root


def report(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "report.json").read_text()))


def test_analyze_writes_every_report_and_prints_the_tables(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    result = strangler(
        str(project), "--out", str(out), "--truth", str(tmp_path / "truth.json"), "--jobs", "1"
    )

    assert result.returncode == 0, result.stderr
    for name in (
        "report.json",
        "report.md",
        "report.html",
        "contracts/.importlinter",
        "contracts/tach.toml",
    ):
        assert (out / name).is_file(), name
    assert "Proposed services" in result.stdout
    assert "Extraction order" in result.stdout
    doc = report(out)
    services = {s["name"]: s for s in doc["services"]}
    assert services["catalog"]["models"] == ["catalog.Category", "catalog.Product"]
    assert services["orders"]["models"] == ["orders.Order", "orders.OrderLine"]
    assert doc["metrics"]["truth"]["ari"] == 1.0
    assert doc["broken_files"] == [] and doc["warnings"] == []
    owners = {o["model"]: o for o in doc["ownership"]}
    assert owners["catalog.Product"]["contested"]  # written from orders.views too


def test_same_input_same_report(project: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert strangler(str(project), "--out", str(first), "--seed", "3").returncode == 0
    assert (
        strangler(
            str(project),
            "--out",
            str(second),
            "--seed",
            "3",
            "--cache-dir",
            str(tmp_path / "other-cache"),
        ).returncode
        == 0
    )

    a, b = report(first), report(second)
    a.pop("timings"), b.pop("timings")
    assert a == b


def test_an_unchanged_tree_gets_the_same_files_from_the_cache(
    project: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    cold = strangler(str(project), "--out", str(first))
    warm = strangler(str(project), "--out", str(second))

    assert cold.returncode == 0 and warm.returncode == 0, warm.stderr
    assert "from the cache" not in cold.stdout
    assert "nothing changed since the last run" in " ".join(warm.stdout.split())
    for name in ("report.json", "report.md", "report.html", "contracts/tach.toml"):
        assert (first / name).read_text() == (second / name).read_text(), name


def test_services_count_is_honoured(project: Path, tmp_path: Path) -> None:
    result = strangler(str(project), "--out", str(tmp_path / "out"), "--services", "1")

    assert result.returncode == 0, result.stderr
    assert report(tmp_path / "out")["summary"]["services"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--services", "0"], "Invalid value for --services: must be at least 1, got 0"),
        (["--resolution", "-1"], "Invalid value for --resolution: must be positive"),
        (["--jobs", "0"], "Invalid value for --jobs: must be at least 1"),
        (["--truth", "missing.json"], "Invalid value for --truth: cannot read missing.json"),
    ],
)
def test_bad_options_are_named(
    project: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = strangler(str(project), "--out", str(tmp_path / "out"), *args, cwd=tmp_path)

    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())


def test_a_truth_that_is_not_a_mapping_of_contexts_is_refused(
    project: Path, tmp_path: Path
) -> None:
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "other.json").write_text(json.dumps({"elsewhere": "x"}))

    as_list = strangler(
        str(project), "--out", str(tmp_path / "o"), "--truth", "list.json", cwd=tmp_path
    )
    unrelated = strangler(
        str(project), "--out", str(tmp_path / "o"), "--truth", "other.json", cwd=tmp_path
    )

    assert "must be a non-empty JSON object" in " ".join(as_list.stderr.split())
    assert "the truth names none of the analyzed modules" in " ".join(unrelated.stderr.split())


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    result = strangler(str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))

    assert result.returncode == 2
    assert "is not a directory to analyze" in result.stderr


def test_the_legacy_monolith_report_names_its_planted_smells(tmp_path: Path) -> None:
    """Every smell legacy_monolith/DOMAIN.md plants shows up in the report."""
    out = tmp_path / "out"

    result = strangler("--out", str(out))  # PATH defaults to ./legacy_monolith

    assert result.returncode == 0, result.stderr
    doc = report(out)
    smells: dict[str, list[str]] = {}
    for smell in doc["smells"]:
        smells.setdefault(smell["kind"], []).append(smell["summary"])
    fks = " ".join(smells["cross-app-fk"])
    for fk in (
        "customers.Customer.user -> auth.User",
        "orders.OrderLine.product -> catalog.Product",
        "inventory.Reservation.order -> orders.Order",
        "payments.Payment.order -> orders.Order",
        "reviews.Review.author -> customers.Customer",
        "shipping.Shipment.warehouse -> inventory.Warehouse",
        "notifications.Notification.order -> orders.Order",
    ):
        assert fk in fks
    calls = " ".join(smells["cross-service-call"])
    assert "legacy_monolith.catalog.views (catalog) uses inventory" in calls
    assert any(
        "orders.services.checkout spans" in s and "payments" in s and "inventory" in s
        for s in smells["cross-service-transaction"]
    )
    signals = " ".join(smells["cross-service-signal"])
    assert "notifications.signals (notifications) receives post_save of orders.Order" in signals
    # reviews.signals listens to its own Review (and writes the catalog's Product): with
    # reviews and catalog proposed as one service, as DOMAIN.md's catalog context has them,
    # that crosses apps but no service (the writes show as cross-app coupling instead)
    assert "reviews.signals" not in signals
    cycles = " ".join(smells["import-cycle"])
    for pair in ("orders <-> payments", "catalog <-> inventory", "orders <-> shipping"):
        assert pair in cycles
    gods = " ".join(smells["god-module"])
    assert "legacy_monolith.orders.services" in gods and "legacy_monolith.common.helpers" in gods
    assert smells["shared-utility"]
    foreign = " ".join(smells["foreign-write"])
    assert "orders.OrderEvent" in foreign  # payments.refund and shipping write it
    loads = " ".join(smells["dynamic-model-load"])
    assert "legacy_monolith.inventory.services (" in loads and "catalog.Product" in loads
    for function in ("customer_for", "cart_for", "open_shipments_for"):
        assert function in loads  # common.helpers
    assert "dynamic-model-load" in (out / "report.md").read_text()
    assert "dynamic-model-load" in (out / "report.html").read_text()
    endpoints = {e["pattern"]: e for e in doc["endpoints"]}
    assert endpoints["/health/"]["service"] is None  # no domain: stays with the monolith
    assert endpoints["/api/catalog/products/"]["service"] == "catalog"
    assert "`/health/`" in (out / "report.md").read_text()
    # the two health checks, the ID provider's three, the schema and the Prometheus metrics
    assert "(7 stay with the monolith)" in " ".join(result.stdout.split())
    assert endpoints["/metrics"]["service"] is None
    # paths are printed whole, one per line, whatever the width (copy and paste them)
    lines = result.stdout.splitlines()
    assert any(line.startswith("open file://") and line.endswith("report.html") for line in lines)
    assert any(line.startswith("wrote ") and line.endswith("tach.toml") for line in lines)
    models = {m["label"]: m for m in doc["models"]}
    assert models["common.TimeStamped"]["abstract"] and models["catalog.ActiveProduct"]["proxy"]


def test_the_legacy_monolith_proposal_recovers_its_domain_contexts(tmp_path: Path) -> None:
    out = tmp_path / "out"

    result = strangler(
        "legacy_monolith", "--out", str(out), "--truth", "legacy_monolith/domain_truth.json"
    )

    assert result.returncode == 0, result.stderr
    assert report(out)["metrics"]["truth"]["ari"] >= 0.8
