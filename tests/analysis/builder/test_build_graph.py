"""build_graph on a small literal Django project written to a temporary directory."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from analysis import Analysis, BrokenFile, build_graph
from analysis.builder import parse
from analysis.cache import ENV, PACK, code_version, default_cache_dir, open_cache
from tests.analysis.builder.shop_project import write_project


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_project(tmp_path / "project")


@pytest.fixture
def analysis(shop: Path, tmp_path: Path) -> Analysis:
    return build_graph(shop, cache_dir=tmp_path / "cache")


def edges(graph: nx.MultiDiGraph, kind: str) -> set[tuple[str, str]]:
    return {(u, v) for u, v, k in graph.edges(keys=True) if k == kind}


def test_modules_carry_path_app_and_size(analysis: Analysis) -> None:
    node = analysis.graph.nodes["module:shop.catalog.models.product"]
    assert node == {
        "kind": "module",
        "name": "shop.catalog.models.product",
        "path": "shop/catalog/models/product.py",
        "app": "products",  # the label set in catalog/apps.py
        "lines": 13,
        "wiring": False,
    }
    assert analysis.graph.nodes["module:shop.urls"]["app"] is None


def test_project_wiring_is_marked(analysis: Analysis) -> None:
    wiring = {d["name"] for _, d in analysis.graph.nodes(data=True) if d.get("wiring")}
    # settings (INSTALLED_APPS/ROOT_URLCONF), the root urlconf and the project package.
    assert wiring == {"shop", "shop.settings", "shop.urls"}


def test_tests_and_migrations_are_left_out(analysis: Analysis) -> None:
    modules = [n for n in analysis.graph if n.startswith("module:")]
    assert not [m for m in modules if "migrations" in m or m.endswith(".tests")]


def test_broken_file_is_reported_and_skipped(analysis: Analysis) -> None:
    assert analysis.broken == [
        BrokenFile(
            "shop/legacy/report.py",
            "Python 2 syntax at line 1: Missing parentheses in call to 'print'. "
            "Did you mean print(...)?",
            line=1,
        )
    ]
    assert "module:shop.legacy.report" not in analysis.graph


def test_models_labels_and_definitions(analysis: Analysis) -> None:
    graph = analysis.graph
    product = graph.nodes["model:products.Product"]
    assert product["module"] == "shop.catalog.models.product"
    assert graph.nodes["model:common.TimeStamped"]["abstract"]
    assert graph.nodes["model:products.CheapProduct"]["proxy"]
    assert ("module:shop.catalog.models.product", "model:products.Product") in edges(
        graph, "defines"
    )
    assert graph.edges["module:shop.orders.models", "model:orders.Order", "defines"]["weight"] == 5


def test_relations_resolve_strings_settings_and_abstract_parents(analysis: Analysis) -> None:
    graph = analysis.graph
    relation = graph.edges["model:orders.OrderLine", "model:products.Product", "relation"]
    assert (relation["field"], relation["relation"], relation["weight"]) == ("product", "fk", 3)
    # settings.AUTH_USER_MODEL is read from the project's settings.
    assert (
        graph.edges["model:orders.Order", "model:accounts.User", "relation"]["field"] == "customer"
    )
    # A field declared on an abstract parent belongs to every concrete child.
    assert ("model:products.Product", "model:accounts.User") in edges(graph, "relation")
    assert (
        graph.edges["model:shipping.Shipment", "model:orders.Order", "relation"]["relation"]
        == "o2o"
    )
    proxy = graph.edges["model:products.CheapProduct", "model:products.Product", "relation"]
    assert proxy["relation"] == "proxy"
    # ...but a proxy (or multi-table child) reaches them through its concrete parent.
    assert ("model:products.CheapProduct", "model:accounts.User") not in edges(graph, "relation")


def test_reads_and_writes_name_the_function(analysis: Analysis) -> None:
    graph = analysis.graph
    write = graph.edges["module:shop.orders.services", "model:orders.Order", "write"]
    assert write["sites"] == ["shop/orders/services.py:8:checkout"] and write["weight"] == 4
    # order.lines.create(...) goes through the related manager to OrderLine.
    assert ("module:shop.orders.services", "model:orders.OrderLine") in edges(graph, "write")
    read = graph.edges["module:shop.orders.views", "model:orders.Order", "read"]
    # A view without a queryset works on its serializer's Meta.model (declared: a read).
    assert read["sites"] == [
        "shop/orders/views.py:12:legacy_order",
        "shop/orders/views.py:14:OrderViewSet",
    ]
    destroy = graph.edges["module:shop.orders.views", "model:orders.Order", "write"]
    assert destroy["sites"] == ["shop/orders/views.py:18:OrderViewSet.perform_destroy"]
    # A serializer's get_<field>(self, obj) gets instances of its Meta.model.
    count = graph.edges["module:shop.orders.serializers", "model:orders.OrderLine", "read"]
    assert count["sites"] == ["shop/orders/serializers.py:10:OrderSerializer.get_line_count"]
    # A class declared over a model (Meta.model, model =, queryset =) reads it.
    declared = graph.edges["module:shop.orders.serializers", "model:orders.Order", "read"]
    assert declared["sites"] == ["shop/orders/serializers.py:4:OrderSerializer"]


def test_imports_with_flags(analysis: Analysis) -> None:
    graph = analysis.graph
    plain = graph.edges["module:shop.orders.views", "module:shop.orders.services", "import"]
    assert not plain["conditional"] and not plain["function_level"] and plain["weight"] == 1
    late = graph.edges["module:shop.shipping.receivers", "module:shop.catalog.services", "import"]
    assert late["function_level"]
    external = [v for _, v in edges(graph, "import") if "django" in v or "rest_framework" in v]
    assert external == []


def test_endpoints_from_includes_routers_and_regexes(analysis: Analysis) -> None:
    graph = analysis.graph
    endpoints = {
        d["pattern"]: (d["methods"], d["view"], d["name"])
        for _, d in graph.nodes(data=True)
        if d["kind"] == "endpoint"
    }
    viewset = "shop.catalog.views.ProductViewSet"
    assert endpoints == {
        "/api/orders/checkout/": (["POST"], "shop.orders.views.checkout", "checkout"),
        "/api/catalog/products/": (["GET"], viewset, "product-list"),
        "/api/catalog/products/{slug}/": (["GET"], viewset, "product-detail"),
        "/api/catalog/products/{slug}/restock/": (
            ["POST"],
            f"{viewset}.restock",
            "product-restock",
        ),
        "/legacy/{number:int}/": (
            ["DELETE", "GET", "PATCH", "POST", "PUT"],
            "shop.orders.views.legacy_order",
            None,
        ),
    }
    assert ("endpoint:/api/orders/checkout/", "module:shop.orders.views") in edges(graph, "route")


def test_signals_link_receivers_to_senders(analysis: Analysis) -> None:
    graph = analysis.graph
    saved = graph.edges["module:shop.shipping.receivers", "module:shop.orders.models", "signal"]
    assert (saved["signal"], saved["sender"], saved["weight"]) == ("post_save", "orders.Order", 2)
    # A custom signal links the receiver to the module that sends it.
    placed = graph.edges["module:shop.shipping.receivers", "module:shop.orders.services", "signal"]
    assert placed["signal"] == "order_placed"
    assert {s["receiver"] for s in graph.graph["signals"]} == {
        "shop.shipping.receivers.order_saved",
        "shop.shipping.receivers.placed",
    }


def test_atomic_blocks_follow_calls_into_other_modules(analysis: Analysis) -> None:
    assert analysis.graph.graph["atomic_blocks"] == [
        {
            "module": "shop.orders.services",
            "function": "checkout",
            "site": "shop/orders/services.py:7:checkout",
            # products.Product is written by catalog.services.reserve, called inside.
            "models": ["orders.Order", "orders.OrderLine", "products.Product"],
        }
    ]


def test_second_run_reads_everything_from_the_cache(shop: Path, tmp_path: Path) -> None:
    first = build_graph(shop, cache_dir=tmp_path / "cache")
    second = build_graph(shop, cache_dir=tmp_path / "cache")
    assert first.stats == {"files": 26, "parsed": 26, "cached": 0, "broken": 1}
    assert second.stats == {"files": 26, "parsed": 0, "cached": 26, "broken": 1}
    assert nx.utils.edges_equal(first.graph.edges(keys=True), second.graph.edges(keys=True))
    assert second.broken == first.broken


def test_a_changed_file_is_the_only_one_read_again(shop: Path, tmp_path: Path) -> None:
    build_graph(shop, cache_dir=tmp_path / "cache")
    views = shop / "shop/orders/views.py"
    views.write_text(views.read_text() + "\ndef refund(request):\n    return None\n")
    again = build_graph(shop, cache_dir=tmp_path / "cache")
    assert (again.stats["parsed"], again.stats["cached"]) == (1, 25)
    assert again.graph.nodes["module:shop.orders.views"]["lines"] == 21


def test_entries_of_old_contents_and_deleted_files_are_pruned(shop: Path, tmp_path: Path) -> None:
    def entries() -> int:
        return len(open_cache(tmp_path / "cache").stored())

    build_graph(shop, cache_dir=tmp_path / "cache")
    assert entries() == 26
    views = shop / "shop/orders/views.py"
    views.write_text(views.read_text() + "\ndef refund(request):\n    return None\n")
    (shop / "shop/orders/signals.py").unlink()
    again = build_graph(shop, cache_dir=tmp_path / "cache")
    assert again.stats["files"] == 25
    assert entries() == 25  # the old views.py and the deleted signals.py are gone


def test_default_cache_lives_outside_the_analyzed_tree(shop: Path, user_cache: Path) -> None:
    before = sorted(p.relative_to(shop) for p in shop.rglob("*"))
    build_graph(shop)
    assert sorted(p.relative_to(shop) for p in shop.rglob("*")) == before  # nothing written
    assert [p.parent for p in user_cache.rglob(PACK)] == [default_cache_dir(shop) / code_version()]
    assert default_cache_dir(shop).parent == user_cache
    assert build_graph(shop).stats["cached"] == 26


def test_each_tree_has_its_own_default_cache(tmp_path: Path) -> None:
    one, other = write_project(tmp_path / "one"), write_project(tmp_path / "other")
    assert default_cache_dir(one) != default_cache_dir(other)
    assert default_cache_dir(one) == default_cache_dir(tmp_path / "other" / ".." / "one")


def test_the_default_cache_follows_the_environment(
    shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir(shop).parent == tmp_path / "xdg" / "strangler"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir(shop).parent == tmp_path / "home" / ".cache" / "strangler"
    monkeypatch.setenv(ENV, str(tmp_path / "mine"))
    assert default_cache_dir(shop).parent == tmp_path / "mine"


def test_the_cache_holds_only_json(shop: Path, tmp_path: Path) -> None:
    build_graph(shop, cache_dir=tmp_path / "cache")
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert {p.suffix for p in files} == {".json", ""}  # "": the .gitignore
    for path in files:
        if path.suffix == ".json":
            json.loads(path.read_text())


def test_worker_processes_give_the_same_graph(
    shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = build_graph(shop, jobs=1, cache_dir=tmp_path / "serial")
    monkeypatch.setattr(parse, "PARALLEL_MIN_BYTES", 1)  # use the pool even for 26 files
    parallel = build_graph(shop, jobs=2, cache_dir=tmp_path / "parallel")
    assert parallel.stats["parsed"] == 26
    assert sorted(parallel.graph.nodes) == sorted(serial.graph.nodes)
    assert sorted(parallel.graph.edges(keys=True)) == sorted(serial.graph.edges(keys=True))


def test_progress_reports_each_phase(shop: Path, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    build_graph(shop, cache_dir=tmp_path / "cache", progress=lambda *a: calls.append(a))
    assert calls[0][0] == "discover"
    assert ("parse", 26, 26) in calls and calls[-1] == ("build", 1, 1)


def test_timings_are_reported(analysis: Analysis) -> None:
    assert set(analysis.timings) == {"discover", "parse", "build", "total"}
    assert all(t >= 0 for t in analysis.timings.values())


def test_tests_can_be_included(shop: Path, tmp_path: Path) -> None:
    full = build_graph(shop, cache_dir=tmp_path / "cache", exclude_tests=False)
    assert "module:shop.orders.tests" in full.graph
    assert "module:shop.orders.migrations.0001_initial" not in full.graph  # not an identifier


def test_not_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match=r"not a directory to analyze: .*missing"):
        build_graph(tmp_path / "missing")


def test_entries_of_older_analyzer_versions_are_removed(shop: Path, tmp_path: Path) -> None:
    stale = tmp_path / "cache" / "0123456789abcdef"
    (stale / "ab").mkdir(parents=True)
    (stale / "ab" / "abcd.pickle").write_bytes(b"old")
    keep = tmp_path / "cache" / "notes"
    keep.mkdir()
    build_graph(shop, cache_dir=tmp_path / "cache")
    assert not stale.exists() and keep.exists()


def test_an_unreadable_cache_is_rebuilt(shop: Path, tmp_path: Path) -> None:
    first = build_graph(shop, cache_dir=tmp_path / "cache")
    for stored in (tmp_path / "cache").rglob("*.json"):
        stored.write_bytes(b"not json")
    again = build_graph(shop, cache_dir=tmp_path / "cache")
    assert again.stats == {"files": 26, "parsed": 26, "cached": 0, "broken": 1}
    assert nx.utils.edges_equal(first.graph.edges(keys=True), again.graph.edges(keys=True))
