"""Sending (well, storing) notifications to customers."""

from __future__ import annotations

from legacy_monolith.notifications.models import Notification, NotificationTemplate

FALLBACK = {
    "order_placed": ("Thank you for your order {number}", "We received order {number}."),
    "payment_receipt": ("Receipt for order {number}", "We charged {amount} EUR."),
    "order_status": ("Order {number} is {status}", "Your order {number} is now {status}."),
}


def notify(customer, code: str, *, order=None, **context) -> Notification:
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
