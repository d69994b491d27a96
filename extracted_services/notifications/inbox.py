"""Applying a delivered batch of events (DESIGN §2 and §5): each in its own transaction.

Per event: a poison one is ``rejected`` (with the reason naming the field); one that writes
no notification (another context's, ``order.cancelled``, a status change to ``paid``, our
own) is ``ignored``; an event id already in the inbox is a ``duplicate``; else the
notification is written with its inbox row, and the event is ``applied``.

No event is ``stale`` here: an order event is a fact ("placed", "paid"), not the order's
state, so an older one applied after a newer one (a dead letter replayed later) still owes
its customer its notification; the inbox alone makes the effect happen once. The order's
newest ``(version, origin)`` is still kept, for the number and customer it carries.

A notification the backfill already copied from the monolith (the monolith wrote it while
it still wrote its own) is not written twice: the event is paired with that copy instead.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from extracted_services.chassis import spans
from extracted_services.notifications.models import (
    EntityVersion,
    Inbox,
    Notification,
    NotificationTemplate,
    Order,
)
from extracted_services.notifications.rules import (
    CONSUMER,
    Event,
    Notice,
    Poison,
    concerns_us,
    notice_for,
    parse_event,
    render,
)

Templates = dict[str, tuple[str, str, str]]  # code -> (subject, body, channel)


def apply_batch(events: list[Any]) -> list[dict[str, str]]:
    """One result per event, in the order given."""
    templates: Templates = {
        t.code: (t.subject, t.body, t.channel) for t in NotificationTemplate.objects.all()
    }
    return [traced(raw, templates) for raw in events]


def traced(raw: Any, templates: Templates) -> dict[str, str]:
    """``apply_one`` in the span ``"{type} apply"``, a child of the event's traceparent."""
    given = raw if isinstance(raw, dict) else {}
    with spans.applying(str(given.get("type")), given.get("id"), given.get("headers")) as span:
        result = apply_one(raw, templates)
        spans.outcome(span, result["outcome"])
        return result


def apply_one(raw: Any, templates: Templates) -> dict[str, str]:
    given = raw.get("id") if isinstance(raw, dict) else None
    try:
        outcome = _decide_and_apply(parse_event(raw), templates)
    except Poison as exc:
        return {"id": given, "outcome": "rejected", "reason": str(exc)}
    return {"id": given, "outcome": outcome}


def _decide_and_apply(event: Event, templates: Templates) -> str:
    notice = notice_for(event) if concerns_us(event) else None
    if notice is None:
        return "ignored"
    try:
        with transaction.atomic():
            return _apply(event, notice, templates)
    except IntegrityError:
        # A concurrent delivery of the same event (or order) won the insert: decide again,
        # now seeing its rows.
        with transaction.atomic():
            return _apply(event, notice, templates)


def _apply(event: Event, notice: Notice, templates: Templates) -> str:
    aggregatetype, aggregateid = event.key
    versions = EntityVersion.objects.filter(aggregatetype=aggregatetype, aggregateid=aggregateid)
    # The order's row locked first: a concurrent delivery of the same event that held it has
    # committed by now, so its inbox row is seen (duplicate, not stale).
    stored = versions.select_for_update().values_list("version", "origin").first()
    if Inbox.objects.filter(consumer=CONSUMER, event_id=event.id).exists():
        return "duplicate"
    template = templates.get(notice.code)
    subject, body, channel = render(notice.code, template, notice.context)
    Order.objects.bulk_create(
        [Order(id=notice.order_id, number=notice.number, customer_id=notice.customer_id)],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["number", "customer_id"],
    )
    copied = Notification.objects.filter(
        order_id=notice.order_id,
        subject=subject,
        customer_id=notice.customer_id,
        legacy_id__isnull=False,
        event_id__isnull=True,
    ).order_by("id")[:1]
    if not Notification.objects.filter(pk__in=copied).update(event_id=event.id):
        Notification.objects.create(
            customer_id=notice.customer_id,
            order_id=notice.order_id,
            template=notice.code if template else None,
            channel=channel,
            subject=subject,
            body=body,
            created_at=event.timestamp,
            updated_at=event.timestamp,
            event_id=event.id,
        )
    Inbox.objects.create(consumer=CONSUMER, event_id=event.id, applied_at=timezone.now())
    if stored is None:
        EntityVersion.objects.create(
            aggregatetype=aggregatetype,
            aggregateid=aggregateid,
            version=event.version,
            origin=event.origin,
        )
    elif (event.version, event.origin) > stored:
        versions.update(version=event.version, origin=event.origin)
    return "applied"
