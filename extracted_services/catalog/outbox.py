"""The transactional outbox (DESIGN §1): every change this service makes records its event
in the same transaction, one version above the entity's stored one (DESIGN §2).

``record`` refuses to run outside ``transaction.atomic()``: an event written after the
commit could be lost (a crash in between) or describe a change that was rolled back.
The request's ``X-Request-ID`` travels in the event's headers (``TraceHeadersMiddleware``
keeps it for the request's thread), with the trace context of the span current at record
time (this service's own span of the request, when tracing is on; else the request's
``traceparent``/``tracestate`` as they came).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from extracted_services.catalog.models import EntityVersion, Outbox
from extracted_services.chassis.spans import trace_headers

ORIGIN = "catalog"

_trace: ContextVar[dict[str, str] | None] = ContextVar("catalog_trace_headers", default=None)


class TraceHeadersMiddleware:
    """Keeps the request's trace headers for the events its writes record."""

    HEADERS = {
        "traceparent": "HTTP_TRACEPARENT",
        "tracestate": "HTTP_TRACESTATE",
        "x-request-id": "HTTP_X_REQUEST_ID",
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        known = {
            name: request.META[key] for name, key in self.HEADERS.items() if key in request.META
        }
        token = _trace.set(known)
        try:
            return self.get_response(request)
        finally:
            _trace.reset(token)


def record(aggregatetype: str, aggregateid: object, type_: str, payload: dict[str, Any]) -> Outbox:
    """Bump the entity's version (row locked) and write its event; inside the change's
    transaction only."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            f"outbox.record({type_!r}) outside transaction.atomic(): the event must commit "
            "with its change"
        )
    key = {"aggregatetype": aggregatetype, "aggregateid": str(aggregateid)}
    stored = EntityVersion.objects.select_for_update().filter(**key).first()
    version = (stored.version if stored else 0) + 1
    if stored is None:
        EntityVersion.objects.create(**key, version=version, origin=ORIGIN)
    else:
        EntityVersion.objects.filter(**key).update(version=version, origin=ORIGIN)
    return Outbox.objects.create(
        **key,
        type=type_,
        aggregateversion=version,
        origin=ORIGIN,
        payload=payload,
        headers=trace_headers(_trace.get() or {}),
        timestamp=timezone.now(),
    )
