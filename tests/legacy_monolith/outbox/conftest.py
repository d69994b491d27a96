"""Helpers for reading what the monolith recorded in its outbox (in-process tests)."""

from __future__ import annotations

import uuid
from typing import Any

from legacy_monolith.outbox.models import Outbox


def recorded(**filters: Any) -> list[tuple[str, str, int]]:
    """``(type, aggregateid, aggregateversion)`` of the outbox rows, in relay order."""
    rows = Outbox.objects.filter(**filters).order_by("seq")
    return list(rows.values_list("type", "aggregateid", "aggregateversion"))


def payload_of(type: str, aggregateid: int | str) -> dict[str, Any]:
    """The payload of the newest event of that type for that entity."""
    row = Outbox.objects.filter(type=type, aggregateid=str(aggregateid)).order_by("seq").last()
    assert row is not None, f"no {type} recorded for {aggregateid}"
    return row.payload


def event(
    type: str,
    payload: dict[str, Any],
    *,
    version: int = 1,
    origin: str = "catalog",
    event_id: str | None = None,
) -> dict[str, Any]:
    """One event on the wire (DESIGN section 3), as the catalog service would publish it."""
    return {
        "id": event_id or str(uuid.uuid4()),
        "aggregatetype": type.split(".")[0],
        "aggregateid": str(payload["id"]),
        "type": type,
        "version": version,
        "origin": origin,
        "timestamp": "2026-12-01T11:02:03.123456Z",
        "payload": payload,
        "headers": {},
    }
