"""`strangler up --broker nats://...`: the relay publishes to a real NATS JetStream (its own
nats-server, as a user would run one) and the deliverer pushes from there to the inboxes."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.strangler_proxy.events.brokers import running_nats
from tests.strangler_proxy.stack.test_up import bring_up, staff_headers, stop


@pytest.mark.slow
def test_with_a_broker_a_price_change_goes_through_jetstream(tmp_path: Path) -> None:
    with running_nats(tmp_path / "nats") as broker:
        stack = bring_up(tmp_path / "var", "--broker", broker.url)
        try:
            assert {"relay", "deliverer"} <= set(stack.pids), stack.out.text
            assert f"outbox -> NATS JetStream at {broker.url}" in stack.out.text
            changed = httpx.patch(
                f"{stack.ports.proxy_url}/api/catalog/products/3/",
                json={"price": "12.34"},
                headers=staff_headers(stack),
                trust_env=False,
            )
            assert changed.status_code == 200, changed.text
            catalog = f"http://127.0.0.1:{stack.ports.catalog}/api/catalog/products/3/"
            deadline = time.monotonic() + 15
            while httpx.get(catalog, trust_env=False).json()["price"] != "12.34":
                logs = stack.var_dir / "logs"
                assert time.monotonic() < deadline, (logs / "deliverer.log").read_text()
                time.sleep(0.1)
            same = stack.strangler("reconcile", "catalog", "--var-dir", str(stack.var_dir))
            assert same.returncode == 0, same.stdout + same.stderr
        finally:
            output = stop(stack)
    assert "deliverer: stopped" in output and "relay: stopped" in output
