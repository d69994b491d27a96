"""Sending (well, storing) notifications to customers, behind a switch (branch by
abstraction, issue 10).

``notify()`` keeps its callers (checkout, the order signal) unchanged and hands the message
to the ``Notifier`` the environment variable ``NOTIFICATIONS_BACKEND`` picks:

- ``local`` (the default): write the ``Notification`` row here, as the shop always did;
- ``events``: write nothing. The order events the monolith records in every case
  (``order.placed``, ``payment.captured``, ``order.status_changed``, ... in the outbox) feed
  the notifications service, which derives the same messages from them.

>>> backend_name({})
'local'
>>> backend_name({"NOTIFICATIONS_BACKEND": "events"})
'events'
>>> backend_name({"NOTIFICATIONS_BACKEND": "smtp"})
Traceback (most recent call last):
...
django.core.exceptions.ImproperlyConfigured: NOTIFICATIONS_BACKEND='smtp' is not ... events, local
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured

from legacy_monolith.notifications.models import Notification, NotificationTemplate

FALLBACK = {
    "order_placed": ("Thank you for your order {number}", "We received order {number}."),
    "payment_receipt": ("Receipt for order {number}", "We charged {amount} EUR."),
    "order_status": ("Order {number} is {status}", "Your order {number} is now {status}."),
}


class Notifier(Protocol):
    def notify(self, customer, code: str, *, order=None, **context) -> Notification | None: ...


class LocalNotifier:
    """Today's behaviour: render the template (or the fallback) and store the message."""

    def notify(self, customer, code: str, *, order=None, **context) -> Notification:
        template = NotificationTemplate.objects.filter(code=code).first()
        if template is not None:
            subject, body = template.render(**context)
            channel = template.channel
        else:
            subject_t, body_t = FALLBACK[code]
            subject, body = subject_t.format(**context), body_t.format(**context)
            channel = "email"
        return Notification.objects.create(
            customer=customer,
            template=template,
            order=order,
            channel=channel,
            subject=subject,
            body=body,
        )


class EventNotifier:
    """The notifications service owns the messages: it reads them off the order events."""

    def notify(self, customer, code: str, *, order=None, **context) -> None:
        return None


NOTIFIERS: dict[str, Notifier] = {"local": LocalNotifier(), "events": EventNotifier()}


def backend_name(environ: Mapping[str, str] = os.environ) -> str:
    name = environ.get("NOTIFICATIONS_BACKEND") or "local"
    if name not in NOTIFIERS:
        raise ImproperlyConfigured(
            f"NOTIFICATIONS_BACKEND={name!r} is not a notifications backend; "
            f"use one of: {', '.join(sorted(NOTIFIERS))}"
        )
    return name


def notifier() -> Notifier:
    """The notifier the environment picks, read on each call (a switch, not a restart)."""
    return NOTIFIERS[backend_name()]


def notify(customer, code: str, *, order=None, **context) -> Notification | None:
    return notifier().notify(customer, code, order=order, **context)
