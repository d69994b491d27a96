"""A small migration for the dashboard to show: a real ``strangler proxy run`` (admin port,
dashboard options) in front of a stand-in monolith, a stand-in catalog service, a seeded
route table, an analyzer report, an outbox with a backlog and a span file with one trace.

Shared by the browser tests and the screenshots command (``screenshots.py``).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from strangler_proxy.routing import Mode
from strangler_proxy.store import SqliteFlagStore
from tests.strangler_proxy.proxy_stack import proxy, route, seed, standin

ROUTES = (
    route("products", "/api/catalog/products/", Mode.SERVICE, "catalog", methods=["GET"]),
    route("product-detail", "/api/catalog/products/{pk:int}/", Mode.CANARY, "catalog", 30,
          methods=["GET"]),
    route("reviews", "/api/reviews/", Mode.SHADOW, "catalog", methods=["GET"]),
    route("notifications", "/api/notifications/", Mode.MONOLITH, "notifications"),
    route("orders", "/api/orders/", Mode.MONOLITH, "orders"),
    route("cart", "/api/orders/cart/", Mode.MONOLITH, "orders"),
    route("payments", "/api/payments/", Mode.MONOLITH, "payments"),
    route("my-account", "/api/customers/me/", Mode.MONOLITH, "customers"),
)  # fmt: skip
#: the request paths traffic() sends, one per route
PATHS = ("/api/catalog/products/", "/api/catalog/products/7/", "/api/reviews/",
         "/api/notifications/", "/api/orders/", "/api/orders/cart/", "/api/payments/",
         "/api/customers/me/")  # fmt: skip
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
REQUEST_ID = "req-dashboard-demo-1"


def report() -> dict[str, object]:
    """An analyzer report.json (the fields the graph reads) naming the routes above."""
    endpoints = [
        {"pattern": r.template, "methods": sorted(r.methods), "name": r.id, "service": r.service,
         "view": f"views.{r.id}", "module": f"shop.{r.service}.views"}
        for r in ROUTES
    ]  # fmt: skip
    services = [
        {"name": name, "shared": name == "shared", "modules": [], "models": [],
         "endpoints": [e["pattern"] for e in endpoints if e["service"] == name], "lines": lines}
        for name, lines in (("catalog", 2400), ("notifications", 700), ("orders", 3900),
                            ("payments", 900), ("customers", 1100), ("shared", 500))
    ]  # fmt: skip
    edges = [
        {"source": "orders", "target": "catalog", "weight": 9},
        {"source": "notifications", "target": "orders", "weight": 4},
        {"source": "catalog", "target": "shared", "weight": 3},
        {"source": "orders", "target": "shared", "weight": 5},
        {"source": "orders", "target": "payments", "weight": 6},
        {"source": "orders", "target": "customers", "weight": 3},
        {"source": "payments", "target": "customers", "weight": 2},
        {"source": "customers", "target": "shared", "weight": 2},
    ]
    return {"schema_version": 1, "endpoints": endpoints, "services": services,
            "service_edges": edges}  # fmt: skip


def span_line(service: str, spans: list[dict[str, object]]) -> str:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    request = {
        "resourceSpans": [
            {"resource": resource, "scopeSpans": [{"scope": {"name": "demo"}, "spans": spans}]}
        ]
    }
    return json.dumps(request)  # fmt: skip


def demo_trace(start_ns: int) -> list[str]:
    """One PATCH through the proxy to the catalog, its event relayed and applied at the
    monolith: the trace the issue's goal test makes, as span-file lines."""

    def span(
        sid: str,
        parent: str | None,
        name: str,
        kind: int,
        start_ms: float,
        end_ms: float,
        attrs: dict[str, str] | None = None,
    ) -> dict[str, object]:
        return {
            "traceId": TRACE_ID, "spanId": sid * 8, "parentSpanId": parent * 8 if parent else "",
            "name": name, "kind": kind,
            "startTimeUnixNano": str(start_ns + int(start_ms * 1e6)),
            "endTimeUnixNano": str(start_ns + int(end_ms * 1e6)),
            "status": {"code": 1},
            "attributes": [{"key": k, "value": {"stringValue": v}}
                           for k, v in (attrs or {}).items()],
        }  # fmt: skip

    return [
        span_line("strangler-proxy", [span("01", None, "PATCH product-detail", 2, 0, 41.5,
                  {"strangler.request_id": REQUEST_ID, "strangler.served_by": "catalog"})]),
        span_line("catalog", [
            span("02", "01", "PATCH api/catalog/products/<int:pk>/", 2, 1.2, 39.8),
            span("03", "02", "SELECT catalog_product", 3, 4.0, 6.1),
            span("04", "02", "UPDATE catalog_product", 3, 7.0, 12.4),
            span("05", "02", "INSERT outbox", 3, 12.9, 14.2)]),
        span_line("strangler-relay", [span("06", "05", "product.upserted publish", 4,
                                           55.0, 58.3)]),
        span_line("strangler-deliverer", [span("07", "06", "product.upserted process",
                                               5, 60.1, 88.0)]),
        span_line("legacy-monolith", [
            span("08", "07", "product.upserted apply", 5, 62.0, 84.7),
            span("09", "08", "UPDATE catalog_product", 3, 66.2, 71.9)]),
    ]  # fmt: skip


@dataclass(frozen=True)
class Stage:
    url: str  # the proxy
    admin_url: str
    token: str
    store_url: str
    tmp: Path

    @property
    def cli_env(self) -> dict[str, str]:
        return {"STRANGLER_ADMIN_URL": self.admin_url, "STRANGLER_ADMIN_TOKEN": self.token,
                "USER": "carol"}  # fmt: skip

    def traffic(self, rounds: int = 1) -> None:
        with httpx.Client(base_url=self.url, trust_env=False, timeout=10) as client:
            for _ in range(rounds):
                for path in PATHS:
                    client.get(path)


@contextlib.contextmanager
def stage(tmp: Path, *proxy_args: str) -> Iterator[Stage]:
    token = secrets.token_urlsafe(24)
    (tmp / "admin.token").write_text(f"ci:{token}\n")
    store_path = tmp / "flags.sqlite3"
    (tmp / "report.json").write_text(json.dumps(report()))
    # the stand-ins differ by name only: the reviews compare equal, product-detail does not
    (tmp / "rules.toml").write_text('[routes.reviews]\nignore = ["$.served_by"]\n')
    traces = tmp / "traces"
    traces.mkdir(exist_ok=True)
    (traces / "demo-1.jsonl").write_text("\n".join(demo_trace(time.time_ns())) + "\n")
    with sqlite3.connect(tmp / "monolith.sqlite3") as db:  # a producer with 3 events unsent
        db.execute("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, published_at TEXT)")
        db.executemany("INSERT INTO outbox (published_at) VALUES (?)", [(None,)] * 3)
    with standin("monolith", tmp) as monolith, standin("catalog", tmp) as catalog:
        with SqliteFlagStore(store_path, create=True) as store:
            seed(store, {"catalog": [catalog.url], "notifications": ["http://127.0.0.1:9"]},
                 ROUTES)  # fmt: skip
        store_url = f"sqlite:///{store_path}"
        args = (
            "--admin-listen", "127.0.0.1:0", "--admin-token-file", str(tmp / "admin.token"),
            "--report", str(tmp / "report.json"), "--traces-dir", str(traces),
            "--events-source", f"monolith=sqlite:///{tmp / 'monolith.sqlite3'}",
            "--events-dead-letters", f"sqlite:///{tmp / 'dead-letters.sqlite3'}",
            "--health-interval", "0.5", "--no-auto-rollback", "--rules", str(tmp / "rules.toml"),
            *proxy_args,
        )  # fmt: skip
        with proxy(monolith.url, store_url, tmp, *args) as edge:
            yield Stage(edge.url, edge.admin_url, token, store_url, tmp)
