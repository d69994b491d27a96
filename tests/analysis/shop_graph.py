"""A small literal analyzer graph, built exactly to the builder's contract, for the proposal tests.

Three apps with data (catalog, orders, payments), a data-less ``common`` package everyone
imports, a per-domain API layer outside the app folders (``api.catalog``), an import cycle
between orders and payments, a foreign write (orders writes payments.Payment), cross-app
foreign keys, a checkout ``atomic`` block spanning three services, and a cross-app signal.
"""

from __future__ import annotations

import networkx as nx

DEFAULT_WEIGHTS = {
    "import": 1.0,
    "route": 1.0,
    "read": 2.0,
    "signal": 2.0,
    "relation": 3.0,
    "write": 4.0,
    "defines": 5.0,
}


class GraphBuilder:
    """Adds contract-shaped nodes and edges to a MultiDiGraph."""

    def __init__(self) -> None:
        self.graph = nx.MultiDiGraph(atomic_blocks=[], signals=[], dynamic_loads=[])

    def module(self, name: str, app: str | None, lines: int = 50) -> str:
        path = name.replace(".", "/") + ".py"
        node = f"module:{name}"
        self.graph.add_node(node, kind="module", name=name, path=path, app=app, lines=lines)
        return node

    def model(self, label: str, module: str, *, abstract: bool = False) -> str:
        node = f"model:{label}"
        self.graph.add_node(
            node, kind="model", label=label, module=module, abstract=abstract, proxy=False
        )
        self.edge(f"module:{module}", node, "defines")
        return node

    def endpoint(self, pattern: str, module: str, methods: tuple[str, ...] = ("GET",)) -> str:
        node = f"endpoint:{pattern}"
        view = f"{module}.View"
        self.graph.add_node(
            node, kind="endpoint", pattern=pattern, methods=sorted(methods), view=view, name=None
        )
        self.edge(node, f"module:{module}", "route")
        return node

    def edge(self, source: str, target: str, kind: str, *sites: str, **attrs: object) -> None:
        self.graph.add_edge(
            source,
            target,
            key=kind,
            kind=kind,
            weight=DEFAULT_WEIGHTS[kind],
            sites=list(sites),
            **attrs,
        )

    def imports(self, source: str, *targets: str) -> None:
        for target in targets:
            self.edge(
                f"module:{source}",
                f"module:{target}",
                "import",
                conditional=False,
                function_level=False,
            )

    def uses(self, module: str, kind: str, label: str, *functions: str) -> None:
        path = module.replace(".", "/") + ".py"
        sites = [f"{path}:{10 + i}:{f}" for i, f in enumerate(functions or ("handler",))]
        self.edge(f"module:{module}", f"model:{label}", kind, *sites)

    def relation(self, source: str, target: str, field: str, relation: str = "fk") -> None:
        self.edge(f"model:{source}", f"model:{target}", "relation", field=field, relation=relation)


def shop_graph() -> nx.MultiDiGraph:
    b = GraphBuilder()
    for name, app in [
        ("shop.common.utils", "common"),
        ("shop.catalog.models", "catalog"),
        ("shop.catalog.views", "catalog"),
        ("shop.catalog.urls", "catalog"),
        ("shop.orders.models", "orders"),
        ("shop.orders.services", "orders"),
        ("shop.orders.views", "orders"),
        ("shop.orders.urls", "orders"),
        ("shop.payments.models", "payments"),
        ("shop.payments.services", "payments"),
        ("shop.payments.views", "payments"),
        ("api.catalog.views", None),
        ("shop.urls", None),
    ]:
        b.module(name, app)
    b.model("common.TimeStamped", "shop.common.utils", abstract=True)
    b.model("catalog.Category", "shop.catalog.models")
    b.model("catalog.Product", "shop.catalog.models")
    b.model("orders.Order", "shop.orders.models")
    b.model("orders.OrderLine", "shop.orders.models")
    b.model("payments.Payment", "shop.payments.models")
    b.relation("catalog.Product", "catalog.Category", "category")
    b.relation("orders.OrderLine", "orders.Order", "order")
    b.relation("orders.OrderLine", "catalog.Product", "product")
    b.relation("payments.Payment", "orders.Order", "order")

    b.imports("shop.catalog.models", "shop.common.utils")
    b.imports("shop.catalog.views", "shop.catalog.models", "shop.common.utils")
    b.imports("shop.catalog.urls", "shop.catalog.views")
    b.imports("shop.orders.models", "shop.catalog.models", "shop.common.utils")
    b.imports(
        "shop.orders.services",
        "shop.orders.models",
        "shop.payments.services",
        "shop.catalog.models",
        "shop.common.utils",
    )
    b.imports("shop.orders.views", "shop.orders.services", "shop.orders.models")
    b.imports("shop.orders.urls", "shop.orders.views")
    b.imports("shop.payments.models", "shop.orders.models")
    b.imports(
        "shop.payments.services",
        "shop.payments.models",
        "shop.orders.services",
        "shop.common.utils",
    )
    b.imports("shop.payments.views", "shop.payments.services")
    b.imports("api.catalog.views", "shop.catalog.models", "shop.common.utils")
    b.imports("shop.urls", "shop.catalog.urls", "shop.orders.urls", "shop.payments.views")

    b.uses("shop.catalog.views", "read", "catalog.Product", "ProductList.get")
    b.uses("shop.catalog.views", "read", "catalog.Category", "CategoryList.get")
    b.uses("shop.catalog.views", "write", "catalog.Product", "ProductList.post")
    b.uses("api.catalog.views", "read", "catalog.Product", "products", "product")
    b.uses("api.catalog.views", "write", "catalog.Product", "update_price")
    b.uses("shop.orders.services", "write", "orders.Order", "checkout", "cancel")
    b.uses("shop.orders.services", "write", "orders.OrderLine", "checkout")
    b.uses("shop.orders.services", "read", "catalog.Product", "checkout")
    b.uses("shop.orders.services", "write", "payments.Payment", "checkout")
    b.uses("shop.orders.views", "read", "orders.Order", "OrderViewSet.list")
    b.uses("shop.payments.services", "write", "payments.Payment", "charge", "refund")
    b.uses("shop.payments.services", "read", "orders.Order", "charge")
    b.uses("shop.payments.views", "read", "payments.Payment", "PaymentList.get")

    b.endpoint("/api/catalog/products/", "shop.catalog.views", ("GET", "POST"))
    b.endpoint("/api/catalog/categories/", "shop.catalog.views")
    b.endpoint("/api/v2/catalog/products/{pk:int}/", "api.catalog.views", ("GET", "PATCH"))
    b.endpoint("/api/orders/", "shop.orders.views")
    b.endpoint("/api/orders/{pk}/checkout/", "shop.orders.views", ("POST",))
    b.endpoint("/api/payments/", "shop.payments.views")

    b.edge(
        "module:shop.payments.services",
        "module:shop.orders.models",
        "signal",
        "shop/payments/services.py:40:on_order_saved",
        signal="post_save",
        sender="orders.Order",
    )
    b.graph.graph["signals"].append(
        {
            "signal": "post_save",
            "sender": "orders.Order",
            "receiver": "shop.payments.services.on_order_saved",
            "site": "shop/payments/services.py:40:on_order_saved",
        }
    )
    b.graph.graph["atomic_blocks"].append(
        {
            "module": "shop.orders.services",
            "function": "checkout",
            "site": "shop/orders/services.py:12:checkout",
            "models": ["catalog.Product", "orders.Order", "orders.OrderLine", "payments.Payment"],
        }
    )
    return b.graph
