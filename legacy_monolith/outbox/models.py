"""The outbox of events this monolith produces, the inbox of events it applied, and the
per-entity versions both sides share (``/work`` issue 10, DESIGN sections 1 and 2).

The column names follow Debezium's outbox event router (``id``, ``aggregatetype``,
``aggregateid``, ``type``, ``payload``), so a team can later swap the polling relay for CDC.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Outbox(models.Model):
    """One event, written in the same transaction as the change it describes."""

    seq = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(db_column="id", default=uuid.uuid4, unique=True, editable=False)
    aggregatetype = models.CharField(max_length=64)
    aggregateid = models.CharField(max_length=64)
    type = models.CharField(max_length=64)
    aggregateversion = models.IntegerField()
    origin = models.CharField(max_length=32)
    payload = models.JSONField()
    headers = models.JSONField(default=dict)
    timestamp = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "outbox"
        ordering = ["seq"]
        indexes = [models.Index(fields=["published_at", "seq"], name="outbox_unpublished")]

    def __str__(self):
        entity = f"{self.aggregatetype}:{self.aggregateid}"
        return f"#{self.seq} {self.type} {entity} v{self.aggregateversion}"


class Inbox(models.Model):
    """An event a consumer applied (or found stale): its id again means "duplicate"."""

    consumer = models.CharField(max_length=64)
    event_id = models.UUIDField()
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "inbox"
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event_id"], name="inbox_once_per_consumer")
        ]


class EntityVersion(models.Model):
    """The newest ``(version, origin)`` of one entity, written by local changes and by
    applied events alike; a deleted entity keeps its row (a tombstone)."""

    pk = models.CompositePrimaryKey("aggregatetype", "aggregateid")
    aggregatetype = models.CharField(max_length=64)
    aggregateid = models.CharField(max_length=64)
    version = models.IntegerField()
    origin = models.CharField(max_length=32)

    class Meta:
        db_table = "entity_version"

    def __str__(self):
        return f"{self.aggregatetype}:{self.aggregateid} v{self.version} ({self.origin})"
