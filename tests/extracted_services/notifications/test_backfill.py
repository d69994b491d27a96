"""``manage.py backfill_notifications --from-db URL`` copies the monolith's templates, orders
and notifications through a read-only connection to its database: everything arrives once
with the monolith's ids, a re-run writes nothing, a run cut short is completed by running it
again, and a notification the service already made from an event is not copied twice."""

from __future__ import annotations

import os
import pty
import shutil
import socket
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from extracted_services.notifications.source import SourceError, open_source
from tests.conftest import RunningServer
from tests.extracted_services.notifications.conftest import EVENTS_TOKEN, Notifications
from tests.extracted_services.notifications.events import OrderEvents
from tests.extracted_services.notifications.service import (
    DATABASE,
    backfill,
    manage,
    monolith_database_url,
    notifications_env,
    outcomes,
    post_events,
    stored_notifications,
    tallies,
)
from tests.extracted_services.notifications.shop import Shopper


def monolith_count(monolith_server: RunningServer, table: str) -> int:
    path = monolith_database_url(monolith_server.env).removeprefix("sqlite:///")
    with closing_db(path) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def closing_db(path: str) -> closing[sqlite3.Connection]:
    """The monolith's SQLite file, read-only (the test reads what the monolith holds)."""
    return closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True))


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty service database, migrated once (no server needed for the command)."""
    var_dir = tmp_path_factory.mktemp("migrated")
    done = manage(var_dir, "migrate", "--noinput")
    assert done.returncode == 0, done.stderr
    return var_dir / DATABASE


@pytest.fixture
def fresh(migrated: Path, tmp_path: Path) -> Path:
    """A var dir of its own with an empty, migrated service database."""
    shutil.copyfile(migrated, tmp_path / DATABASE)
    return tmp_path


def test_the_first_run_copies_every_row_and_a_rerun_writes_none(
    monolith_server: RunningServer, fresh: Path
) -> None:
    url = monolith_database_url(monolith_server.env)
    first = backfill(fresh, url)
    assert first.returncode == 0, first.stderr
    expected = {
        "templates": monolith_count(monolith_server, "notifications_notificationtemplate"),
        "orders": monolith_count(monolith_server, "orders_order"),
        "notifications": monolith_count(monolith_server, "notifications_notification"),
    }
    assert tallies(first.stdout) == {
        entity: f"{count} created, 0 updated, 0 unchanged" for entity, count in expected.items()
    }
    assert "\x1b[" not in first.stderr  # no progress bar when not on a terminal

    again = backfill(fresh, url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "backfill done: 0 rows written"
    assert tallies(again.stdout)["notifications"] == (
        f"0 created, 0 updated, {expected['notifications']} unchanged"
    )


def test_copies_keep_the_monolith_ids_and_fields(
    monolith_server: RunningServer, fresh: Path
) -> None:
    assert backfill(fresh, monolith_database_url(monolith_server.env)).returncode == 0
    path = monolith_database_url(monolith_server.env).removeprefix("sqlite:///")
    with closing_db(path) as db:
        theirs = db.execute(
            "SELECT n.id, n.customer_id, n.order_id, t.code, n.channel, n.subject, n.body,"
            " n.read_at IS NOT NULL FROM notifications_notification n"
            " LEFT JOIN notifications_notificationtemplate t ON t.id = n.template_id"
            " ORDER BY n.id DESC"
        ).fetchall()
    ours = [
        (r["id"], r["customer_id"], r["order_id"], r["template"], r["channel"], r["subject"],
         r["body"], int(r["read_at"] is not None))
        for r in stored_notifications(fresh)
    ]  # fmt: skip
    assert ours == theirs


def test_a_run_cut_short_is_completed_by_running_it_again(
    monolith_server: RunningServer, fresh: Path
) -> None:
    url = monolith_database_url(monolith_server.env)
    assert backfill(fresh, url).returncode == 0
    # What an interrupted run leaves: the last rows never arrived, one is stale.
    with sqlite3.connect(fresh / DATABASE) as db:
        db.execute(
            "DELETE FROM notifications_notification WHERE id IN"
            " (SELECT id FROM notifications_notification ORDER BY id DESC LIMIT 3)"
        )
        db.execute("UPDATE notifications_notification SET read_at = NULL, subject = 'stale'"
                   " WHERE id = (SELECT MIN(id) FROM notifications_notification)")  # fmt: skip
        db.execute("DELETE FROM notifications_notificationtemplate WHERE code = 'order_status'")
    done = backfill(fresh, url)
    assert done.returncode == 0, done.stderr
    copied = tallies(done.stdout)
    assert copied["notifications"].startswith("3 created, 1 updated, ")
    assert copied["templates"] == "1 created, 0 updated, 2 unchanged"
    assert backfill(fresh, url).stdout.splitlines()[-1] == "backfill done: 0 rows written"


def test_a_notification_made_from_events_is_not_copied_twice(
    monolith_server: RunningServer, notifications: Notifications
) -> None:
    # The monolith still writes its own while the events already flow to the service.
    shopper = Shopper.register(monolith_server.base_url)
    order = shopper.checkout()
    events = OrderEvents(order)
    lifecycle = events.checkout(shopper.username, shopper.payment(order["id"]))
    assert outcomes(post_events(notifications.base_url, EVENTS_TOKEN, lifecycle)) == [
        "applied",
        "ignored",
        "applied",
    ]
    made = stored_notifications(notifications.var_dir, "order_id = ?", order["id"])
    theirs = shopper.notifications(order["id"])

    done = backfill(notifications.var_dir, monolith_database_url(monolith_server.env))

    assert done.returncode == 0, done.stderr
    assert tallies(done.stdout)["notifications"].startswith("0 created, 2 updated, ")
    ours = stored_notifications(notifications.var_dir, "order_id = ?", order["id"])
    assert [(r["id"], r["subject"]) for r in ours] == [(n["id"], n["subject"]) for n in theirs]
    assert [r["subject"] for r in ours] == [r["subject"] for r in made]
    # ... and the same events delivered again are duplicates, adding nothing.
    again = post_events(notifications.base_url, EVENTS_TOKEN, lifecycle)
    assert outcomes(again) == ["duplicate", "ignored", "duplicate"]


def test_an_event_for_a_copied_notification_adds_no_second_one(
    monolith_server: RunningServer, notifications: Notifications
) -> None:
    # The other way round: the copy came first, the events are delivered late.
    shopper = Shopper.register(monolith_server.base_url)
    order = shopper.checkout()
    assert (
        backfill(notifications.var_dir, monolith_database_url(monolith_server.env)).returncode == 0
    )
    copied = stored_notifications(notifications.var_dir, "order_id = ?", order["id"])
    assert len(copied) == 2
    events = OrderEvents(order)
    lifecycle = events.checkout(shopper.username, shopper.payment(order["id"]))
    answer = post_events(notifications.base_url, EVENTS_TOKEN, lifecycle)
    assert outcomes(answer) == ["applied", "ignored", "applied"]
    assert stored_notifications(notifications.var_dir, "order_id = ?", order["id"]) == copied


def test_a_missing_database_file_is_a_clear_error(fresh: Path) -> None:
    missing = fresh / "no-such-monolith.sqlite3"
    done = backfill(fresh, f"sqlite:///{missing}")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"CommandError: --from-db: cannot open sqlite:///{missing} read-only:"
        " unable to open database file"
    )
    assert not missing.exists()  # read-only: not even created


def test_a_database_that_is_not_the_monolith_is_refused(fresh: Path) -> None:
    done = backfill(fresh, f"sqlite:///{fresh / DATABASE}")  # the service's own
    assert done.returncode == 1
    assert "no such table: orders_order: is it the monolith's database?" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_postgresql_is_a_clear_error_without_the_password(fresh: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = backfill(fresh, f"postgres://shop:secret@127.0.0.1:{port}/shop")
    assert done.returncode == 1
    assert f"--from-db: cannot connect to postgres://shop:***@127.0.0.1:{port}/shop" in done.stderr
    assert "secret" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("url", ["mysql://shop@127.0.0.1/shop", "monolith.sqlite3"])
def test_an_unsupported_url_is_refused(fresh: Path, url: str) -> None:
    done = backfill(fresh, url)
    assert done.returncode == 1
    assert "give the monolith's database as sqlite:///PATH or postgres://..." in done.stderr


def test_the_connection_cannot_write(monolith_server: RunningServer) -> None:
    source = open_source(monolith_database_url(monolith_server.env))
    try:
        with pytest.raises(SourceError, match="readonly database"):
            source.rows("DELETE FROM notifications_notification")
    finally:
        source.close()


def on_a_terminal(var_dir: Path, *args: str) -> str:
    """The command's stderr when it is a terminal (a pseudo-terminal here)."""
    argv = [sys.executable, "-m", "extracted_services.notifications.manage", *args]
    env = {**os.environ, **notifications_env(var_dir), "TERM": "xterm", "COLUMNS": "100"}
    main, terminal = pty.openpty()
    try:
        done = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=terminal, timeout=120)
    finally:
        os.close(terminal)
    assert done.returncode == 0
    shown = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    return shown.decode(errors="replace")


def test_progress_is_shown_on_a_terminal(monolith_server: RunningServer, fresh: Path) -> None:
    shown = on_a_terminal(
        fresh, "backfill_notifications", "--from-db", monolith_database_url(monolith_server.env)
    )
    assert "notifications" in shown and "100%" in shown
