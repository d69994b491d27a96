"""Base models every app inherits from (the shared kernel nobody owns)."""

from django.db import models
from django.utils import timezone


class TimeStamped(models.Model):
    """created_at / updated_at on everything.

    ``default=timezone.now`` rather than ``auto_now_add`` so that the seed command can
    write deterministic timestamps with ``bulk_create``.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.updated_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)
