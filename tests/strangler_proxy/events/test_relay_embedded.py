"""The embedded relay (no broker) against real stand-in subscribers (``inbox_standin``: an
HTTP process with DESIGN §5's inbox over SQLite): each row reaches every subscriber whose
topics want it, in order per entity, exactly once in effect, also when the relay and a
subscriber are killed with SIGKILL mid-stream; poison and undeliverable events end in the
dead letters with their reason; the command's bad input is answered clearly."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from strangler_proxy.events.deadletters import open_dead_letters
from tests.strangler_proxy.events.brokers import wait_until
from tests.strangler_proxy.events.delivery_kit import (
    TOKEN,
    StandInSubscriber,
    stand_in,
    versions_by_key,
)
from tests.strangler_proxy.events.outboxes import (
    Change,
    producer_url,
    published,
    scratch_database,
    sqlite_outbox,
    wait_published,
    write_events,
)
from tests.strangler_proxy.events.relays import kill, relay_process, running_relay


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.token"
    path.write_text(TOKEN + "\n")
    return path


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[StandInSubscriber]:
    with stand_in(tmp_path, "catalog", ("product", "category")) as subscriber:
        yield subscriber


def products(count: int, start: int = 0, entities: int = 5) -> list[Change]:
    return [
        ("product", str(n % entities), n // entities + 1, {"n": n})
        for n in range(start, start + count)
    ]


def applied_ids(subscriber: StandInSubscriber) -> list[str]:
    return [event_id for event_id, *_ in subscriber.applied()]


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with scratch_database() as url:
        yield url


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_each_subscriber_gets_the_topics_it_wants_in_order(
    tmp_path: Path,
    token_file: Path,
    catalog: StandInSubscriber,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    outbox = producer_url(kind, tmp_path, lambda: request.getfixturevalue("database"))
    product_ids = write_events(outbox, products(40))
    order_ids = write_events(outbox, [("order", "7", v, {"status": "placed"}) for v in (1, 2, 3)])
    with (
        stand_in(tmp_path, "notifications", ("order",)) as notifications,
        running_relay(
            tmp_path,
            [f"monolith={outbox}"],
            token_file=token_file,
            subscribers=[catalog.spec, notifications.spec],
        ),  # fmt: skip
    ):
        wait_published(outbox, product_ids + order_ids)
        assert applied_ids(catalog) == product_ids
        assert applied_ids(notifications) == order_ids
        more = write_events(outbox, products(5, start=40))  # while it runs: a few ms later
        wait_until(lambda: applied_ids(catalog) == product_ids + more, "the new rows")


def test_a_failing_subscriber_is_retried_and_holds_up_no_other(
    tmp_path: Path, token_file: Path, catalog: StandInSubscriber
) -> None:
    outbox = sqlite_outbox(tmp_path)
    with stand_in(tmp_path, "audit") as audit:
        catalog.mode("fail")
        with running_relay(
            tmp_path, [f"monolith={outbox}"], token_file=token_file,
            subscribers=[catalog.spec, audit.spec], extra=["--max-deliver", "50"],
        ):  # fmt: skip
            ids = write_events(outbox, products(20))
            wait_until(lambda: applied_ids(audit) == ids, "the healthy subscriber's events")
            assert published(outbox) == set()  # the catalog owes them all
            catalog.mode("ok")
            wait_published(outbox, ids)
        assert applied_ids(catalog) == ids
        assert open_dead_letters(f"sqlite:///{tmp_path / 'dead-letters.sqlite3'}").letters() == []


def test_rejected_and_undeliverable_events_are_dead_letters_with_their_reason(
    tmp_path: Path, token_file: Path, catalog: StandInSubscriber
) -> None:
    outbox = sqlite_outbox(tmp_path)
    good, poison, later = (
        write_events(outbox, products(3)),
        write_events(outbox, [("product", "9", 1, {"poison": "payload.price: not a decimal"})]),
        write_events(outbox, products(2, start=3)),
    )
    relay = ["--max-deliver", "2"]
    with running_relay(
        tmp_path, [f"monolith={outbox}"], token_file=token_file, subscribers=[catalog.spec],
        extra=relay,
    ):  # fmt: skip
        wait_published(outbox, good + poison + later)
        catalog.mode("fail")
        doomed = write_events(outbox, products(2, start=5))
        wait_published(outbox, doomed)  # two failed deliveries, then dead
    assert applied_ids(catalog) == good + later
    dead = open_dead_letters(f"sqlite:///{tmp_path / 'dead-letters.sqlite3'}")
    reasons = {letter.event_id: letter.reason for letter in dead.letters()}
    assert set(reasons) == {*poison, *doomed}
    assert reasons[poison[0]] == "rejected by the subscriber: payload.price: not a decimal"
    assert "answered 503" in reasons[doomed[0]] and "(delivery 2 of 2)" in reasons[doomed[0]]
    assert {letter.subscriber for letter in dead.letters()} == {"catalog"}
    dead.close()


def test_sigkill_of_the_relay_and_of_a_subscriber_mid_stream_applies_each_event_once(
    tmp_path: Path, token_file: Path, catalog: StandInSubscriber
) -> None:
    outbox = sqlite_outbox(tmp_path)
    written: list[str] = []
    writer = threading.Thread(
        target=lambda: written.extend(write_events(outbox, products(600), per_commit=3))
    )
    writer.start()
    relay = relay_process(
        tmp_path, [f"monolith={outbox}"], token_file=token_file, subscribers=[catalog.spec],
        extra=["--batch-size", "50"],
    ).start()  # fmt: skip
    try:
        wait_until(lambda: len(published(outbox)) > 100, "the relay to deliver some rows")
        kill(relay)  # rows pushed and not marked: pushed again, answered duplicate
        relay.start()
        wait_until(lambda: len(published(outbox)) > 300, "the restarted relay to go on")
        catalog.kill()  # the relay retries with backoff until it is back
        catalog.start()
        writer.join(60)
        wait_published(outbox, written, timeout=60)
    finally:
        relay.stop()
        writer.join(60)
    assert sorted(applied_ids(catalog)) == sorted(written)  # each once
    for key, versions in versions_by_key(catalog.applied()).items():
        assert versions == sorted(versions), f"{key} applied out of order"


def test_sigterm_stops_it_cleanly(
    tmp_path: Path, token_file: Path, catalog: StandInSubscriber
) -> None:
    outbox = sqlite_outbox(tmp_path)
    relay = relay_process(
        tmp_path, [f"monolith={outbox}"], token_file=token_file, subscribers=[catalog.spec]
    ).start()
    ids = write_events(outbox, products(10))
    wait_published(outbox, ids)
    assert relay.stop() == 0
    assert "relay stopped: monolith 10" in (tmp_path / "relay.log").read_text()


def relay_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "strangler_proxy.cli.events_relay", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


SUBSCRIBER = "catalog=http://127.0.0.1:8101/internal/events/:product"


def test_bad_input_is_answered_clearly(tmp_path: Path, token_file: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.sqlite3"
    outbox = sqlite_outbox(tmp_path)
    cases = {
        "no outbox table in the database of source monolith": [
            "--source", f"monolith=sqlite:///{empty}", "--subscriber", SUBSCRIBER,
            "--token-file", str(token_file),
        ],
        f"{missing} is missing": [
            "--source", f"monolith=sqlite:///{missing}", "--subscriber", SUBSCRIBER,
            "--token-file", str(token_file),
        ],
        "expected NAME=URL": ["--source", outbox, "--subscriber", SUBSCRIBER],
        "cannot read the events token at": [
            "--source", f"m={outbox}", "--subscriber", SUBSCRIBER,
            "--token-file", str(tmp_path / "none.token"),
        ],
        "needs at least one --subscriber": ["--source", f"m={outbox}"],
        "--subscriber is for the embedded mode": [
            "--source", f"m={outbox}", "--broker", "nats://127.0.0.1:4222",
            "--subscriber", SUBSCRIBER,
        ],
    }  # fmt: skip
    for message, args in cases.items():
        done = relay_command(*args)
        assert done.returncode in (1, 2), (message, done.stderr)
        assert message in " ".join(done.stderr.split()), (message, done.stderr)
    assert not missing.exists()  # a mistyped path is not made into an empty database


def test_a_wrong_token_makes_no_dead_letters(tmp_path: Path, catalog: StandInSubscriber) -> None:
    wrong = tmp_path / "wrong.token"
    wrong.write_text("not-the-events-token")
    outbox = sqlite_outbox(tmp_path)
    ids = write_events(outbox, products(3))
    with running_relay(
        tmp_path, [f"monolith={outbox}"], token_file=wrong, subscribers=[catalog.spec],
        extra=["--max-deliver", "1"],
    ):  # fmt: skip
        log = tmp_path / "relay.log"
        wait_until(lambda: "check the events token" in log.read_text(), "the relay's hint")
        assert published(outbox).isdisjoint(ids) and applied_ids(catalog) == []
    dead = open_dead_letters(f"sqlite:///{tmp_path / 'dead-letters.sqlite3'}")
    assert dead.letters() == []  # the deployment's fault, not the events': they wait
    dead.close()
