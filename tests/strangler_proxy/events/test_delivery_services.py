"""The deliverer against a real inbox: the catalog service's own process (DESIGN §5), fed
from NATS JetStream. The service's own tests cover applying; this shows both sides agree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import orjson

from strangler_proxy.events.envelope import Event
from tests.extracted_services.catalog.events import category, product
from tests.extracted_services.catalog.service import EVENTS_TOKEN, start_catalog
from tests.strangler_proxy.events.brokers import running_nats, wait_until
from tests.strangler_proxy.events.delivery_kit import STRANGLER, delivering, publish


def price(base_url: str, pid: int) -> Any:
    answer = httpx.get(f"{base_url}/api/catalog/products/{pid}/", trust_env=False)
    return answer.json().get("price") if answer.status_code == 200 else answer.status_code


def test_the_catalog_service_applies_what_the_deliverer_brings(tmp_path: Path) -> None:
    poison = product(6, 1, 1, "twelve")
    events = [category(1, 1, "Garden"), product(5, 1, 1, "12.50"), poison,
              product(5, 2, 1, "13.00"), product(5, 1, 1, "12.50")]  # fmt: skip
    (tmp_path / "catalog").mkdir()
    catalog = start_catalog(tmp_path / "catalog")
    try:
        with running_nats(tmp_path / "nats") as broker:
            publish(broker.url, [Event.from_json(orjson.dumps(e)) for e in events])
            spec = f"catalog={catalog.base_url}/internal/events/:product,category,review"
            with delivering(tmp_path, broker.url, [spec], token=EVENTS_TOKEN) as deliverer:
                wait_until(lambda: price(catalog.base_url, 5) == "13.00", "the second price")
                wait_until(lambda: "dead letter 1:" in deliverer.log(), "the poison's letter")
                listed = subprocess.run(
                    [STRANGLER, "events", "dead-letters", "--dead-letters",
                     deliverer.dead_letters, "--json"],
                    capture_output=True, text=True, timeout=60,
                )  # fmt: skip
            assert price(catalog.base_url, 6) == 404
    finally:
        catalog.stop()
    (letter,) = json.loads(listed.stdout)
    assert letter["event_id"] == poison["id"]
    assert letter["reason"].startswith("rejected by the subscriber: payload.price")
