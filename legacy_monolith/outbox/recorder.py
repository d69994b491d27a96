"""Record events in the transaction of the change (the transactional outbox).

``record()`` bumps the entity's version (row locked with ``select_for_update``) and writes
the outbox row; outside ``transaction.atomic`` it refuses, so no change is ever recorded
after its commit (where a crash in between would lose the event).

The catalog's hooks (``catalog/signals.py``, ``reviews/signals.py``) report what they saw
with ``entity_changed`` / ``entity_deleted``. Inside ``changes()``, the unit of work every
write view opens, those reports are collected and turned into one event per entity when
the block ends, still inside its transaction, with the entity's final state (tags set,
price history written, helpful count bumped). Elsewhere inside a transaction (the shell,
a migration script) each report is recorded at once: more events, each a correct full
state. While an event from another producer is applied (``applying()``), nothing is
recorded: an applied event is never published back.

``seed_shop`` records no events: it writes with ``bulk_create`` (no signals, by design: it
must stay fast); seeded rows reach the services through the backfill, not the outbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import IntegrityError, transaction

from extracted_services.chassis.spans import trace_headers
from legacy_monolith.outbox.conf import ORIGIN
from legacy_monolith.outbox.models import EntityVersion, Outbox
from legacy_monolith.outbox.payloads import STATES

#: request headers an event keeps (trace context), lower-cased; with tracing on, the trace
#: context is the current span's (the monolith's own span of the request), not the header's
TRACE_HEADERS = ("traceparent", "tracestate", "x-request-id")


class NotInTransaction(RuntimeError):
    """An event was to be recorded (or a catalog row written) outside ``transaction.atomic``."""


class RecordingWhileApplying(RuntimeError):
    """Something tried to record an event while an applied event was being written."""


_applying: ContextVar[bool] = ContextVar("outbox_applying", default=False)
_unit: ContextVar[dict[tuple[str, str], dict | None] | None] = ContextVar(
    "outbox_unit", default=None
)
_headers: ContextVar[dict[str, str]] = ContextVar("outbox_headers", default={})  # noqa: B039


def in_transaction() -> bool:
    return transaction.get_connection().in_atomic_block


def require_transaction(what: str) -> None:
    """Refuse a catalog write that could not be recorded in its own transaction."""
    if not in_transaction() and not _applying.get():
        raise NotInTransaction(
            f"{what} outside transaction.atomic(): its event could only be recorded after the "
            "commit and would be lost by a crash in between; wrap the write in "
            "legacy_monolith.outbox.recorder.changes()"
        )


def record(aggregatetype: str, aggregateid: str | int, type: str, payload: dict) -> Outbox:
    """Write the event ``type`` of one entity with the next version of that entity."""
    if _applying.get():
        raise RecordingWhileApplying(
            f"{type} {aggregatetype}:{aggregateid} recorded while applying another producer's "
            "event (that would echo it back)"
        )
    require_transaction(f"recording {type} {aggregatetype}:{aggregateid}")
    key = str(aggregateid)
    version = _next_version(aggregatetype, key)
    return Outbox.objects.create(
        aggregatetype=aggregatetype,
        aggregateid=key,
        type=type,
        aggregateversion=version,
        origin=ORIGIN,
        payload=payload,
        headers=dict(_headers.get()),
    )


def _next_version(aggregatetype: str, aggregateid: str) -> int:
    locked = EntityVersion.objects.select_for_update()
    row = locked.filter(aggregatetype=aggregatetype, aggregateid=aggregateid).first()
    if row is None:
        try:
            with transaction.atomic():
                EntityVersion.objects.create(
                    aggregatetype=aggregatetype, aggregateid=aggregateid, version=1, origin=ORIGIN
                )
            return 1
        except IntegrityError:  # a concurrent first write of the same entity won the insert
            row = locked.get(aggregatetype=aggregatetype, aggregateid=aggregateid)
    row.version += 1
    row.origin = ORIGIN
    row.save(update_fields=["version", "origin"])
    return row.version


# -- the hooks' entry points -------------------------------------------------------------


def entity_changed(aggregatetype: str, entity_id: int) -> None:
    """A catalog entity was written: record (now or at the end of ``changes()``) its state."""
    if _applying.get():
        return
    unit = _unit.get()
    if unit is None:
        _record_state(aggregatetype, entity_id, None)
    else:
        unit.setdefault((aggregatetype, str(entity_id)), None)


def entity_deleted(aggregatetype: str, entity_id: int, payload: dict) -> None:
    """A catalog entity was deleted: ``payload`` is its ``<type>.deleted`` payload."""
    if _applying.get():
        return
    unit = _unit.get()
    if unit is None:
        _record_state(aggregatetype, entity_id, payload)
    else:
        unit[(aggregatetype, str(entity_id))] = payload


def _record_state(aggregatetype: str, entity_id: int | str, deleted: dict | None) -> None:
    state = STATES[aggregatetype](int(entity_id))
    if state is not None:
        record(aggregatetype, entity_id, f"{aggregatetype}.upserted", state)
    elif deleted is not None:
        record(aggregatetype, entity_id, f"{aggregatetype}.deleted", deleted)
    # neither: created and removed again (a rolled-back savepoint) - nothing to tell


@contextmanager
def changes(request=None) -> Iterator[None]:
    """One transaction whose catalog changes become one event per entity, at its end.

    Nested blocks join the outermost one. ``request`` lends its trace headers to the events
    (also to the order events the services record inside the block).
    """
    if _unit.get() is not None:
        with transaction.atomic():
            yield
        return
    unit: dict[tuple[str, str], dict | None] = {}
    unit_token = _unit.set(unit)
    headers_token = _headers.set(headers_of(request))
    try:
        with transaction.atomic():
            yield
            _unit.set(None)  # what the flush itself writes is recorded at once
            for (aggregatetype, entity_id), deleted in unit.items():
                _record_state(aggregatetype, entity_id, deleted)
    finally:
        _unit.reset(unit_token)
        _headers.reset(headers_token)


def headers_of(request) -> dict[str, str]:
    if request is None:
        return trace_headers({})
    given = {name: request.headers[name] for name in TRACE_HEADERS if name in request.headers}
    return trace_headers(given)


@contextmanager
def applying() -> Iterator[None]:
    """Writes inside are another producer's event being applied: the hooks stay silent."""
    token = _applying.set(True)
    try:
        yield
    finally:
        _applying.reset(token)


def is_applying() -> bool:
    return _applying.get()
