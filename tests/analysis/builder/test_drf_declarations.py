"""DRF classes declared over a model read it (and ModelViewSets write it), without ORM code."""

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

        class Tag(models.Model):
            name = models.CharField(max_length=10)
    """,
    "site/api/__init__.py": "",
    "site/api/serializers.py": """
        from rest_framework import serializers
        from site.catalog import models as catalog_models
        from site.catalog.models import Product

        class ProductSerializer(serializers.HyperlinkedModelSerializer):
            class Meta:
                model = Product
                fields = ["name"]

        class TagSerializer(serializers.ModelSerializer):
            class Meta:
                model = catalog_models.Tag
    """,
    "site/api/products.py": """
        from rest_framework import viewsets
        from site.api.serializers import ProductSerializer

        class ProductViewSet(viewsets.ReadOnlyModelViewSet):
            serializer_class = ProductSerializer
    """,
    "site/api/tags.py": """
        from rest_framework import viewsets
        from site.api import serializers

        class TagViewSet(viewsets.ModelViewSet):
            serializer_class = serializers.TagSerializer
    """,
    "site/api/listing.py": """
        from rest_framework import generics
        from site.catalog.models import Product

        class ProductList(generics.ListAPIView):
            queryset = Product.objects.select_related("category")
    """,
}


def data_edges(root: Path, tmp_path: Path) -> dict[tuple[str, str, str], list[str]]:
    graph = build_graph(root, cache_dir=tmp_path / "cache").graph
    return {
        (u.split(":", 1)[1], v.split(":", 1)[1], k): d["sites"]
        for u, v, k, d in graph.edges(keys=True, data=True)
        if k in ("read", "write")
    }


def test_serializers_meta_model_and_viewsets_queryset_or_serializer_read_the_model(
    tmp_path: Path,
) -> None:
    found = data_edges(write(tmp_path / "p", FILES), tmp_path)
    assert found[("site.api.serializers", "catalog.Product", "read")] == [
        "site/api/serializers.py:6:ProductSerializer"
    ]
    assert found[("site.api.serializers", "catalog.Tag", "read")] == [
        "site/api/serializers.py:11:TagSerializer"
    ]
    assert ("site.api.listing", "catalog.Product", "read") in found
    # serializer_class alone: the view works on the serializer's Meta.model.
    assert found[("site.api.products", "catalog.Product", "read")] == [
        "site/api/products.py:5:ProductViewSet"
    ]
    assert ("site.api.products", "catalog.Product", "write") not in found  # read-only
    # A ModelViewSet creates, updates and destroys through its serializer.
    assert found[("site.api.tags", "catalog.Tag", "write")] == ["site/api/tags.py:5:TagViewSet"]


INHERITED = {
    **FILES,
    "site/api/base.py": """
        from rest_framework import viewsets
        from site.catalog.models import Product

        class BaseProductViewSet(viewsets.ModelViewSet):
            queryset = Product.objects.all()
    """,
    "site/api/admin_products.py": """
        from site.api.base import BaseProductViewSet
        from site.catalog.models import Tag

        class AdminProductViewSet(BaseProductViewSet):
            permission_classes = []

        class AdminTagViewSet(BaseProductViewSet):
            queryset = Tag.objects.all()
    """,
}


def test_views_inherit_their_bases_queryset(tmp_path: Path) -> None:
    """A viewset over a shared base viewset (in another module) works on the base's model;
    one that declares its own queryset keeps its own."""
    found = data_edges(write(tmp_path / "p", INHERITED), tmp_path)
    assert found[("site.api.admin_products", "catalog.Product", "write")] == [
        "site/api/admin_products.py:5:AdminProductViewSet"
    ]
    assert found[("site.api.admin_products", "catalog.Tag", "write")] == [
        "site/api/admin_products.py:8:AdminTagViewSet"
    ]
    # the subclass with its own queryset does not add the base's model a second time
    assert found[("site.api.admin_products", "catalog.Product", "read")] == [
        "site/api/admin_products.py:5:AdminProductViewSet"
    ]
