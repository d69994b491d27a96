"""``strangler events``: status, dead-letters and replay against a real nats-server, a real
deliverer and a real stand-in subscriber, and clear answers for bad input."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from strangler_proxy.cli import main
from strangler_proxy.events.deadletters import open_dead_letters
from strangler_proxy.stack.process import free_port
from tests.strangler_proxy.events.brokers import NatsServer, running_nats, wait_until
from tests.strangler_proxy.events.delivery_kit import (
    TOKEN,
    StandInSubscriber,
    delivering,
    event,
    publish,
    stand_in,
)

#: DESIGN §1's outbox table, as a producer's migration makes it
OUTBOX = """CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE,
    aggregatetype TEXT, aggregateid TEXT, type TEXT, aggregateversion INTEGER, origin TEXT,
    payload TEXT, headers TEXT, timestamp TEXT, published_at TEXT)"""


def strangler(*args: str) -> Result:
    return CliRunner().invoke(main, ["events", *args])


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[NatsServer]:
    with running_nats(tmp_path / "nats") as server:
        yield server


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[StandInSubscriber]:
    with stand_in(tmp_path, "catalog") as subscriber:
        yield subscriber


def test_the_group_lists_its_commands() -> None:
    result = strangler("--help")
    for command in ("deliver", "status", "dead-letters", "replay", "relay"):
        assert f"  {command} " in result.output


def test_a_dead_letter_is_listed_then_replayed_once_the_subscriber_can_take_it(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    catalog.mode("fail")
    hopeless = event("5", 1)
    publish(broker.url, [hopeless])
    fast = ("--max-deliver", "2", "--retry-delay", "0.05")
    with delivering(tmp_path, broker.url, [catalog.spec], *fast) as deliverer:
        store = ("--dead-letters", deliverer.dead_letters)
        wait_until(lambda: hopeless.id in strangler("dead-letters", *store).output, "a letter")
    listed = strangler("dead-letters", *store).output.splitlines()
    assert listed[1].split() == ["id", "subscriber", "event", "type", "attempts", "last", "failure",
                                 "replayed", "reason"]  # fmt: skip
    assert listed[2].split()[:5] == ["1", "catalog", hopeless.id, "product.upserted", "2"]
    assert listed[2].endswith("answered 503: failing on purpose (delivery 2 of 2)")

    token = ("--token-file", str(tmp_path / "events.token"))
    failed = strangler("replay", "1", *store, *token)  # still failing: said, and recorded
    assert failed.exit_code == 1
    assert failed.output == (
        f"Error: dead letter 1 not delivered: catalog at {catalog.url} answered 503: "
        "failing on purpose\n"
    )
    catalog.mode("ok")
    assert strangler("replay", "1", *store, *token).output == (
        f"dead letter 1 (event {hopeless.id}) -> catalog: applied\n"
    )
    assert strangler("replay", "1", *store, *token).output.endswith("-> catalog: duplicate\n")
    assert [row[0] for row in catalog.applied()] == [hopeless.id]
    (letter,) = json.loads(strangler("dead-letters", *store, "--json").output)
    assert (letter["attempts"], letter["replay_outcome"]) == (3, "duplicate")
    assert letter["replayed_at"] is not None

    unknown = strangler("replay", "99", *store, *token)
    assert (unknown.exit_code, unknown.output) == (
        1, "Error: no dead letter 99 (strangler events dead-letters lists them)\n"
    )  # fmt: skip


def test_status_shows_backlog_lag_and_dead_letters(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    outbox = tmp_path / "monolith.sqlite3"
    with sqlite3.connect(outbox) as db:
        db.execute(OUTBOX)
        db.executemany("INSERT INTO outbox (id, published_at) VALUES (?, ?)",
                       [("a", None), ("b", None), ("c", "2026-12-01T11:00:00Z")])  # fmt: skip
    poison = event("1", 1, poison="payload.name: blank")
    publish(broker.url, [poison])
    slow = ("--retry-delay", "60")  # a failed batch waits a minute: it stays unapplied
    with delivering(tmp_path, broker.url, [catalog.spec], *slow) as deliverer:
        store = ("--dead-letters", deliverer.dead_letters)
        wait_until(lambda: poison.id in strangler("dead-letters", *store).output, "a letter")
        catalog.mode("fail")
        failing = [event("2", 1), event("3", 1), event("4", 1)]
        publish(broker.url, failing)
        options = ("--broker", broker.url, "--source", f"monolith=sqlite:///{outbox}", *store)
        wait_until(lambda: '"lag": 3' in strangler("status", *options, "--json").output, "lag")
        found = json.loads(strangler("status", *options, "--json").output)
        table = strangler("status", *options).output.splitlines()
    assert (found["stream"], found["messages"]) == ("EVENTS", 4)
    assert found["backlog"] == [{"source": "monolith", "unpublished": 2, "error": None}]
    (lag,) = found["subscribers"]
    assert (lag["subscriber"], lag["filter"], lag["lag"], lag["dead_letters"]) == (
        "catalog", "events.>", 3, 1
    )  # fmt: skip
    assert lag["lag_age_seconds"] > 0 and lag["oldest_unapplied"] == failing[0].timestamp
    assert table[:3] == ["Outbox backlog", "source    unpublished  error", "monolith            2"]
    assert table[3] == "Stream EVENTS: 4 events, per subscriber"
    assert table[5].split()[:3] == ["catalog", "events.>", "3"]
    assert table[5].split()[-1] == "1"


def test_clear_answers_for_bad_input(tmp_path: Path) -> None:
    dead = f"nats://127.0.0.1:{free_port()}"
    token = tmp_path / "events.token"
    token.write_text(TOKEN)
    spec = "catalog=http://127.0.0.1:8101/internal/events/:product"
    deliver = ("deliver", "--broker", dead, "--token-file", str(token),
               "--dead-letters", f"sqlite:///{tmp_path / 'dead.sqlite3'}")  # fmt: skip

    result = strangler(*deliver, "--subscriber", spec)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot reach the NATS broker at {dead} within ")
    result = strangler("status", "--broker", dead, "--dead-letters", f"sqlite:///{tmp_path}/x")
    assert result.output.startswith(f"Error: cannot reach the NATS broker at {dead} within ")

    result = strangler(*deliver, "--subscriber", "catalog:product")
    assert result.exit_code == 2
    assert "Invalid value for --subscriber: 'catalog:product': expected NAME=URL" in result.output
    result = strangler(*deliver, "--subscriber", "catalog=ftp://x/:product")
    assert "'ftp://x/' is not an http(s) URL" in result.output
    result = strangler("deliver", "--subscriber", spec, "--token-file", str(tmp_path / "none"))
    assert result.exit_code == 2
    assert f"cannot read the events token at {tmp_path / 'none'}" in result.output

    nowhere = ("--dead-letters", f"sqlite:///{tmp_path / 'never.sqlite3'}")
    result = strangler("replay", "7", *nowhere, "--token-file", str(token))
    assert result.exit_code == 1
    assert result.output.startswith("Error: no dead letter 7: no dead-letter store at ")
    assert strangler("dead-letters", *nowhere).output.endswith("no dead letters\n")


def test_replay_says_why_a_letter_cannot_be_sent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dead.sqlite3'}"
    token = tmp_path / "events.token"
    token.write_text(TOKEN)
    store = open_dead_letters(url, create=True)
    good = event("1", 1)
    store.add("outbox:monolith", "row-7", b'{"id": 7}', "not an event: id: missing", attempts=1)
    store.add("catalog", good.id, good.to_json(), "answered 503", attempts=5)
    store.close()
    replay = ("--dead-letters", url, "--token-file", str(token))

    result = strangler("replay", "1", *replay)
    assert result.output == (
        "Error: dead letter 1 is not an event (aggregatetype: missing): nothing to replay\n"
    )
    result = strangler("replay", "2", *replay)
    assert (
        result.output == "Error: dead letter 2 has no inbox URL recorded: name one with --to URL\n"
    )
    nowhere = f"http://127.0.0.1:{free_port()}/internal/events/"
    result = strangler("replay", "2", *replay, "--to", nowhere)
    assert result.output.startswith(
        f"Error: dead letter 2 not delivered: catalog at {nowhere} did not answer"
    )
    (letter,) = json.loads(
        strangler("dead-letters", "--dead-letters", url, "--json", "--subscriber", "catalog").output
    )
    assert (letter["attempts"], letter["replayed_at"]) == (6, None)


def test_status_of_the_embedded_relay_needs_no_broker(tmp_path: Path) -> None:
    outbox = tmp_path / "monolith.sqlite3"
    with sqlite3.connect(outbox) as db:
        db.execute(OUTBOX)
        db.execute("INSERT INTO outbox (id, published_at) VALUES ('a', NULL)")
    dead = f"sqlite:///{tmp_path / 'dead.sqlite3'}"
    store = open_dead_letters(dead, create=True)
    store.add("notifications", "e-1", b"{}", "rejected by the subscriber: no order", attempts=1)
    store.close()
    options = ("--source", f"monolith=sqlite:///{outbox}", "--dead-letters", dead)

    table = strangler("status", "--broker", "embedded", *options).output.splitlines()
    assert table[2].split() == ["monolith", "1"]
    assert table[3].startswith("No broker (embedded relay): the backlog is the lag")
    assert table[5].split() == ["notifications", "-", "-", "-", "1"]
    dead_broker = f"nats://127.0.0.1:{free_port()}"
    refused = strangler("status", "--broker", dead_broker, *options)
    assert refused.output.rstrip().endswith(
        "with the embedded relay (no broker) use --broker embedded"
    )


def test_status_from_the_project_folder_reads_strangler_ups_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typed as the welcome of `strangler up` shows it, from its folder: the embedded relay
    and the outboxes of var/ that exist (here the monolith's only)."""
    (tmp_path / "var").mkdir()
    with sqlite3.connect(tmp_path / "var" / "monolith.sqlite3") as db:
        db.execute(OUTBOX)
        db.executemany("INSERT INTO outbox (id, published_at) VALUES (?, NULL)", [("a",), ("b",)])
    monkeypatch.chdir(tmp_path)
    found = json.loads(strangler("status", "--json").output)
    assert found["stream"] == "embedded"
    assert found["backlog"] == [{"source": "monolith", "unpublished": 2, "error": None}]
