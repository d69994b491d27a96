"""Models loaded by name (apps.get_model) are marked on their edges and listed on the graph."""

from __future__ import annotations

from pathlib import Path

from analysis import build_graph
from tests.analysis.builder.test_apps import write

FILES = {
    "site/__init__.py": "",
    "site/catalog/__init__.py": "",
    "site/catalog/models.py": """
        from django.db import models

        class Product(models.Model):
            name = models.CharField(max_length=10)
    """,
    "site/inventory/__init__.py": "",
    "site/inventory/models.py": "",
    "site/inventory/services.py": """
        from django.apps import apps
        from site.catalog.models import Product

        def reserve(pk):
            Product = apps.get_model("catalog", "Product")
            product = Product.objects.get(pk=pk)
            product.save()

        def count():
            return Product.objects.count()
    """,
}


def test_uses_through_apps_get_model_are_dynamic_edges_and_listed(tmp_path: Path) -> None:
    root = write(tmp_path / "p", FILES)
    graph = build_graph(root, cache_dir=tmp_path / "cache").graph
    edge = ("module:site.inventory.services", "model:catalog.Product")

    assert graph.edges[(*edge, "write")]["dynamic"] is True
    read = graph.edges[(*edge, "read")]
    assert read["dynamic"] is True  # one of its two uses loads the model by name
    assert read["sites"] == [
        "site/inventory/services.py:7:reserve",
        "site/inventory/services.py:11:count",
    ]
    assert graph.graph["dynamic_loads"] == [
        {
            "module": "site.inventory.services",
            "function": "reserve",
            "model": "catalog.Product",
            "access": access,
            "site": f"site/inventory/services.py:{line}:reserve",
        }
        for access, line in (("read", 7), ("write", 8))
    ]
    defines = graph.edges["module:site.catalog.models", "model:catalog.Product", "defines"]
    assert "dynamic" not in defines


def test_plain_orm_uses_are_not_dynamic(tmp_path: Path) -> None:
    files = dict(FILES)
    files["site/inventory/services.py"] = """
        from site.catalog.models import Product

        def count():
            return Product.objects.count()
    """
    graph = build_graph(write(tmp_path / "p", files), cache_dir=tmp_path / "cache").graph

    read = graph.edges["module:site.inventory.services", "model:catalog.Product", "read"]
    assert read["dynamic"] is False
    assert graph.graph["dynamic_loads"] == []
