"""The whole way through the broker, as ``strangler up --broker`` runs it: a producer's
outbox -> ``strangler events relay`` -> NATS JetStream -> ``strangler events deliver`` -> a
subscriber's inbox. The relay, the broker and the deliverer are each killed with SIGKILL
mid-stream while the producer writes on: every change is applied exactly once, each
entity's versions in order, and ``strangler events status`` ends with nothing left."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from strangler_proxy.cli import main
from tests.strangler_proxy.events.brokers import running_nats, wait_until
from tests.strangler_proxy.events.delivery_kit import delivering, sigkill, stand_in
from tests.strangler_proxy.events.outboxes import Change, sqlite_outbox, write_events
from tests.strangler_proxy.events.relays import relay_process

ENTITIES, VERSIONS = 10, 30


def changes() -> list[Change]:
    return [("product", str(k), v, {"id": k, "v": v}) for v in range(1, VERSIONS + 1)
            for k in range(ENTITIES)]  # fmt: skip


def test_killing_the_relay_the_broker_and_the_deliverer_loses_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    outbox, todo = sqlite_outbox(tmp_path), changes()
    written: list[str] = []

    def write(count: int) -> None:
        written.extend(
            write_events(outbox, todo[len(written) : len(written) + count], per_commit=5)
        )

    (tmp_path / "relay").mkdir()
    options = (
        "--batch",
        "10",
        "--ack-wait",
        "2",
        "--retry-delay",
        "0.1",
        "--max-retry-delay",
        "0.5",
    )
    with (
        running_nats(tmp_path / "nats") as broker,
        stand_in(tmp_path, "catalog") as catalog,
        delivering(tmp_path, broker.url, [catalog.spec], *options) as deliverer,
    ):
        catalog.mode("slow")  # 0.2 s a batch of 10: every kill lands mid-stream
        relay = relay_process(tmp_path / "relay", [f"monolith={outbox}"], broker=broker.url)
        relay.start()
        try:
            write(100)
            wait_until(lambda: len(catalog.applied()) >= 30, "30 applied")
            sigkill(relay)
            write(100)  # into the outbox while no relay runs
            relay.start()
            wait_until(lambda: len(catalog.applied()) >= 130, "130 applied")
            broker.kill()
            write(50)  # the relay holds these until the broker is back
            broker.start()
            wait_until(lambda: len(catalog.applied()) >= 200, "200 applied")
            deliverer.kill()
            write(50)
            deliverer.start()
            wait_until(lambda: len(catalog.applied()) == len(todo), "every change applied", 90)
            status = CliRunner().invoke(
                main, ["events", "status", "--broker", broker.url, "--source",
                       f"monolith={outbox}", "--dead-letters", deliverer.dead_letters, "--json"],
            )  # fmt: skip
            applied = catalog.applied()
        finally:
            relay.stop()
    assert len(written) == len(todo) == 300
    assert {row[0] for row in applied} == set(written)
    assert len(applied) == len(written)  # none twice
    per_key: dict[str, list[int]] = {}
    for _, _, key, version in applied:
        per_key.setdefault(key, []).append(version)
    assert per_key == {f"product:{k}": list(range(1, VERSIONS + 1)) for k in range(ENTITIES)}
    found = json.loads(status.output)
    assert found["backlog"] == [{"source": "monolith", "unpublished": 0, "error": None}]
    assert [(s["subscriber"], s["lag"], s["dead_letters"]) for s in found["subscribers"]] == [
        ("catalog", 0, 0)
    ]
