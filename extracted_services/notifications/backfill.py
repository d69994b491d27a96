"""Copy the monolith's templates, orders (id, number, customer) and notifications into this
service's database, read through a read-only connection to the monolith's database.

Each row is upserted by its natural key (a template's code, an order's id, a notification's
monolith id, which it keeps as its id here, so clients see the same ids) and written only
when a value differs: a re-run writes nothing, and a run cut short is completed by running
it again (keyset pages, one transaction each; no checkpoint to lose).

A notification the service already derived from an event (the monolith wrote its own while
the events also flowed here) is the same notification: the copy adopts that row (its id
becomes the monolith's) instead of adding a second one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

from extracted_services.notifications.models import Notification, NotificationTemplate, Order
from extracted_services.notifications.source import Source, SourceError

PAGE_SIZE = 500

Progress = Callable[[str, int, int], None]  # entity, done, total


@dataclass
class Tally:
    """What one entity's copy did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.unchanged

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class Report:
    tallies: dict[str, Tally] = field(default_factory=dict)

    def tally(self, entity: str) -> Tally:
        return self.tallies.setdefault(entity, Tally())

    @property
    def changed(self) -> int:
        return sum(t.created + t.updated for t in self.tallies.values())


def moment(value: Any) -> datetime | None:
    """A database datetime as an aware UTC one (SQLite keeps naive UTC text).

    >>> moment("2026-11-25 08:04:00.5")
    datetime.datetime(2026, 11, 25, 8, 4, 0, 500000, tzinfo=datetime.timezone.utc)
    """
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def as_uuid(value: Any) -> uuid.UUID:
    """SQLite keeps a UUIDField as 32 hex digits, PostgreSQL as a uuid."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


TEMPLATES = (
    "SELECT code, subject, body, channel, created_at, updated_at"
    " FROM notifications_notificationtemplate ORDER BY id"
)
ORDERS = "SELECT id, number, customer_id FROM orders_order WHERE id > {p} ORDER BY id LIMIT {p}"
NOTIFICATIONS = (
    "SELECT n.id, n.customer_id, n.order_id, t.code, n.channel, n.subject, n.body,"
    " n.read_at, n.created_at, n.updated_at FROM notifications_notification n"
    " LEFT JOIN notifications_notificationtemplate t ON t.id = n.template_id"
    " WHERE n.id > {p} ORDER BY n.id LIMIT {p}"
)


#: What the copy reads: a database without them is not the monolith's.
MONOLITH_TABLES = (
    "notifications_notificationtemplate",
    "notifications_notification",
    "orders_order",
)


def check_source(source: Source) -> None:
    """Refuse, before copying anything, a database that is not the monolith's."""
    for table in MONOLITH_TABLES:
        try:
            source.rows(f"SELECT 1 FROM {table} LIMIT 1")
        except SourceError as exc:
            raise SourceError(f"{exc}: is it the monolith's database?") from exc


def upsert(model: type[models.Model], key: dict[str, Any], values: dict[str, Any]) -> str:
    """Create or update one row by its key; write only when a value differs."""
    current = model._default_manager.filter(**key).values(*values).first()
    if current is None:
        model._default_manager.create(**key, **values)
        return "created"
    if current == values:
        return "unchanged"
    model._default_manager.filter(**key).update(**values)
    return "updated"


def copy_notification(row: tuple[Any, ...], spare_id: Callable[[], int]) -> str:
    """One monolith notification: by its id, else adopting the same one made from an event."""
    legacy_id, customer_id, order_id, code, channel, subject, body, read_at, created, updated = row
    values = {
        "customer_id": customer_id,
        "order_id": order_id,
        "template": code,
        "channel": channel,
        "subject": subject,
        "body": body,
        "read_at": moment(read_at),
        "created_at": moment(created),
        "updated_at": moment(updated),
    }
    if Notification.objects.filter(legacy_id=legacy_id).exists():
        return upsert(Notification, {"legacy_id": legacy_id}, values)
    twin = (
        Notification.objects.filter(
            legacy_id__isnull=True, order_id=order_id, customer_id=customer_id, subject=subject
        )
        .order_by("id")
        .first()
    )
    # The monolith's id is ours now: a row made from an event that holds it moves aside.
    squatter = Notification.objects.filter(pk=legacy_id, legacy_id__isnull=True).first()
    if squatter is not None and squatter != twin:
        Notification.objects.filter(pk=squatter.pk).update(id=spare_id())
    if twin is not None:
        Notification.objects.filter(pk=twin.pk).update(id=legacy_id, legacy_id=legacy_id, **values)
        return "updated"
    Notification.objects.create(id=legacy_id, legacy_id=legacy_id, **values)
    return "created"


def reset_sequences() -> None:
    """PostgreSQL: ids given explicitly leave the sequences behind; move them past the max."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Notification, NotificationTemplate])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def backfill(source: Source, progress: Progress) -> Report:
    """Copy templates, orders and notifications; returns what changed."""
    report = Report()
    tally = report.tally("templates")
    templates = source.rows(TEMPLATES)
    with transaction.atomic():
        for code, subject, body, channel, created, updated in templates:
            values = {
                "subject": subject,
                "body": body,
                "channel": channel,
                "created_at": moment(created),
                "updated_at": moment(updated),
            }
            tally.count(upsert(NotificationTemplate, {"code": code}, values))
    progress("templates", tally.seen, len(templates))

    tally = report.tally("orders")
    total = int(source.rows("SELECT COUNT(*) FROM orders_order")[0][0])
    after = 0
    while page := source.rows(ORDERS, (after, PAGE_SIZE)):
        with transaction.atomic():
            for order_id, number, customer_id in page:
                values = {"number": as_uuid(number), "customer_id": customer_id}
                tally.count(upsert(Order, {"id": order_id}, values))
        after = page[-1][0]
        progress("orders", tally.seen, total)

    tally = report.tally("notifications")
    total, top = source.rows("SELECT COUNT(*), MAX(id) FROM notifications_notification")[0]

    def spare_id() -> int:
        mine = Notification.objects.aggregate(top=Max("id"))["top"] or 0
        return max(mine, int(top or 0)) + 1

    after = 0
    while page := source.rows(NOTIFICATIONS, (after, PAGE_SIZE)):
        with transaction.atomic():
            for row in page:
                tally.count(copy_notification(row, spare_id))
            reset_sequences()
        after = page[-1][0]
        progress("notifications", tally.seen, int(total))
    return report
