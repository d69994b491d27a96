"""The service's own tables.

- ``NotificationTemplate``: the monolith's templates (by ``code``), copied by the backfill;
  a code without one renders the monolith's fallback texts (``rules.FALLBACK``).
- ``Order``: what the service knows of an order (id, number, customer), from its events and
  the backfill: notifications point at it, and ``?order=`` accepts only known ids, as the
  monolith's filter does.
- ``Notification``: the monolith's fields, the customer by id. ``legacy_id`` is the
  monolith's id of a copied row (its ``id`` then too, so clients see the same ids), and
  ``event_id`` the event it was derived from: a row copied from the monolith and the same
  notification derived from an event are one row (see ``inbox`` and ``backfill``).
- ``Inbox`` and ``EntityVersion``: DESIGN §2 (processed events; per-order versions).
"""

from django.db import models


class NotificationTemplate(models.Model):
    code = models.CharField(max_length=50, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    channel = models.CharField(max_length=10, default="email")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class Order(models.Model):
    id = models.BigIntegerField(primary_key=True)
    number = models.UUIDField(unique=True)
    customer_id = models.BigIntegerField(db_index=True)


class Notification(models.Model):
    customer_id = models.BigIntegerField(db_index=True)
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    template = models.CharField(max_length=50, null=True, blank=True)  # the template's code
    channel = models.CharField(max_length=10, default="email")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    legacy_id = models.BigIntegerField(null=True, blank=True, unique=True)
    event_id = models.CharField(max_length=36, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["order", "subject"], name="notification_about")]


class Inbox(models.Model):
    pk = models.CompositePrimaryKey("consumer", "event_id")
    consumer = models.CharField(max_length=64)
    event_id = models.CharField(max_length=36)
    applied_at = models.DateTimeField()

    class Meta:
        db_table = "inbox"


class EntityVersion(models.Model):
    pk = models.CompositePrimaryKey("aggregatetype", "aggregateid")
    aggregatetype = models.CharField(max_length=64)
    aggregateid = models.CharField(max_length=64)
    version = models.IntegerField()
    origin = models.CharField(max_length=32)

    class Meta:
        db_table = "entity_version"
