"""Events as the deliverer posts them to the catalog's inbox, and the service's event tables
as the tests read them (its SQLite file, read-only)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from tests.extracted_services.catalog.service import EVENTS_TOKEN

STAMP = "2026-12-01T11:02:03.123456Z"


def event(
    aggregatetype: str,
    aggregateid: int,
    type_: str,
    version: int,
    payload: dict[str, Any],
    origin: str = "monolith",
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "aggregatetype": aggregatetype,
        "aggregateid": str(aggregateid),
        "type": type_,
        "version": version,
        "origin": origin,
        "timestamp": STAMP,
        "payload": payload,
        "headers": {},
    }


def category(cid: int, version: int, name: str, **changes: Any) -> dict[str, Any]:
    payload = {
        "id": cid,
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "parent_id": None,
        "description": "",
        "created_at": STAMP,
        "updated_at": STAMP,
    }
    return event("category", cid, "category.upserted", version, payload | changes)


def product(pid: int, version: int, category_id: int, price: str, **changes: Any) -> dict[str, Any]:
    payload = {
        "id": pid,
        "sku": f"EVT-{pid}",
        "name": f"Evented {pid}",
        "description": "",
        "category_id": category_id,
        "tags": ["events"],
        "price": price,
        "weight_kg": 1.5,
        "is_active": True,
        "rating_avg": None,
        "rating_count": 0,
        "created_at": STAMP,
        "updated_at": STAMP,
        "price_history": [
            {"id": pid * 10, "price": price, "changed_at": STAMP, "reason": "created"}
        ],
    }
    return event("product", pid, "product.upserted", version, payload | changes)


def deliver(base_url: str, events: list[Any], token: str = EVENTS_TOKEN) -> httpx.Response:
    return httpx.post(
        f"{base_url}/internal/events/",
        json={"events": events},
        headers={"Authorization": f"Bearer {token}"},
    )


class OutboxRow(NamedTuple):
    aggregatetype: str
    aggregateid: str
    type: str
    version: int


def outbox(var_dir: Path, after: int = 0) -> list[OutboxRow]:
    """The service's outbox rows past ``seq`` ``after``, in relay order."""
    with sqlite3.connect(f"file:{var_dir / 'catalog.sqlite3'}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT aggregatetype, aggregateid, type, aggregateversion FROM outbox"
            " WHERE seq > ? ORDER BY seq",
            (after,),
        ).fetchall()
    return [OutboxRow(*row) for row in rows]


def last_seq(var_dir: Path) -> int:
    with sqlite3.connect(f"file:{var_dir / 'catalog.sqlite3'}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()[0])


def version_of(var_dir: Path, aggregatetype: str, aggregateid: int) -> int:
    """The entity's stored version (0 when none is stored)."""
    with sqlite3.connect(f"file:{var_dir / 'catalog.sqlite3'}?mode=ro", uri=True) as db:
        row = db.execute(
            "SELECT version FROM entity_version WHERE aggregatetype = ? AND aggregateid = ?",
            (aggregatetype, str(aggregateid)),
        ).fetchone()
    return int(row[0]) if row else 0


def payload_of(var_dir: Path, aggregatetype: str, aggregateid: int) -> dict[str, Any]:
    """The newest recorded payload of an entity."""
    with sqlite3.connect(f"file:{var_dir / 'catalog.sqlite3'}?mode=ro", uri=True) as db:
        row = db.execute(
            "SELECT payload FROM outbox WHERE aggregatetype = ? AND aggregateid = ?"
            " ORDER BY seq DESC LIMIT 1",
            (aggregatetype, str(aggregateid)),
        ).fetchone()
    return dict(json.loads(row[0]))


def monolith_events(var_dir: Path, after: int = 0, **where: str) -> list[dict[str, Any]]:
    """Events the monolith recorded in its outbox past ``seq`` ``after`` (optionally only
    those with the given column values), as the relay would deliver them."""
    query = (
        "SELECT id, aggregatetype, aggregateid, type, aggregateversion, origin, timestamp,"
        " payload, headers FROM outbox WHERE seq > ?"
    )
    for column in where:
        assert column in ("aggregatetype", "aggregateid", "type"), column
        query += f" AND {column} = ?"
    with sqlite3.connect(f"file:{var_dir / 'monolith.sqlite3'}?mode=ro", uri=True) as db:
        rows = db.execute(query + " ORDER BY seq", (after, *where.values())).fetchall()
    return [
        {
            "id": str(uuid.UUID(row[0])),
            "aggregatetype": row[1],
            "aggregateid": row[2],
            "type": row[3],
            "version": row[4],
            "origin": row[5],
            "timestamp": row[6],
            "payload": json.loads(row[7]),
            "headers": json.loads(row[8]),
        }
        for row in rows
    ]


def monolith_seq(var_dir: Path) -> int:
    with sqlite3.connect(f"file:{var_dir / 'monolith.sqlite3'}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()[0])
