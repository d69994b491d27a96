"""The monolith's own outbox rows for an order, turned into events as the relay turns them
(``strangler_proxy.events.sources.row_to_event``) and delivered to the service, make the
notifications the monolith wrote for that order: producer and consumer agree on DESIGN §4."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from strangler_proxy.events.sources import COLUMNS, row_to_event
from tests.conftest import RunningServer
from tests.extracted_services.notifications.conftest import EVENTS_TOKEN, Notifications
from tests.extracted_services.notifications.service import (
    monolith_database_url,
    outcomes,
    post_events,
    stored_notifications,
)
from tests.extracted_services.notifications.shop import Shopper, login, ship_and_deliver
from tests.extracted_services.notifications.test_events import as_monolith_serves, compared


def outbox_events(monolith_server: RunningServer, order_id: int) -> list[dict[str, Any]]:
    """The order's events from the monolith's outbox (read-only), in relay order."""
    path = monolith_database_url(monolith_server.env).removeprefix("sqlite:///")
    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute(
            f"SELECT {columns} FROM outbox WHERE aggregatetype = 'order' AND aggregateid = ?"
            " ORDER BY seq",
            (str(order_id),),
        ).fetchall()
    events = [row_to_event(row).event for row in rows]
    return [event.to_dict() for event in events if event is not None]


def expected_outcome(event: dict[str, Any]) -> str:
    """What the service does with each: the three that notify, except a change to paid."""
    if event["type"] == "order.status_changed":
        return "ignored" if event["payload"]["status"] == "paid" else "applied"
    return "applied" if event["type"] in ("order.placed", "payment.captured") else "ignored"


def test_the_monolith_outbox_events_make_its_notifications(
    monolith_server: RunningServer, notifications: Notifications
) -> None:
    shopper = Shopper.register(monolith_server.base_url)
    order = shopper.checkout()
    with closing(login(monolith_server.base_url, "staff", "staff-demo-pass")) as staff:
        ship_and_deliver(staff, shopper.shipment(order["id"])["id"])
    events = outbox_events(monolith_server, order["id"])
    assert sorted(str(e["type"]) for e in events) == [
        "order.placed",
        "order.status_changed",  # paid, shipped, delivered
        "order.status_changed",
        "order.status_changed",
        "payment.captured",
        "shipment.sent",
    ]

    answer = post_events(notifications.base_url, EVENTS_TOKEN, events)

    assert outcomes(answer) == [expected_outcome(event) for event in events]
    theirs = [compared(n) for n in shopper.notifications(order["id"])]
    ours = stored_notifications(notifications.var_dir, "order_id = ?", order["id"])
    assert [as_monolith_serves(row) for row in ours] == theirs
