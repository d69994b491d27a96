"""Request metrics (prometheus_client) and the request id, in one cheap middleware.

``http_server_requests_total{route,method,code}``, ``http_server_request_duration_seconds
{route,method}`` and ``db_client_operation_duration_seconds{route}`` (each query's time, by
the route that ran it); route is Django's matched pattern (``api/catalog/products/<int:pk>/``)
or ``unmatched``. With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn's workers) every worker
writes its own files there and ``/metrics`` adds them up (``gunicorn_conf.child_exit``
marks a dead worker's gauges).

``GET /metrics`` answers only ``Authorization: Bearer $METRICS_TOKEN``: unset, 404 (no
token, no metrics); another, 401; both in the error envelope.

DRF's routers match with regular expressions; their label reads as a path pattern:

>>> route_label("api/catalog/products/(?P<pk>[^/.]+)/$"), route_label("^metrics$")
('api/catalog/products/<pk>/', 'metrics')
>>> route_label("api/orders/<int:pk>/cancel/"), route_label(None)
('api/orders/<int:pk>/cancel/', 'unmatched')
>>> bearer_matches("Bearer s3cret", "s3cret"), bearer_matches("Bearer nope", "s3cret")
(True, False)
>>> bearer_matches("s3cret", "s3cret"), bearer_matches("", "s3cret")
(False, False)
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from opentelemetry import trace
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from extracted_services.chassis.logs import REQUEST_ID

#: the proxy's latency buckets (seconds), so the services' figures line up with its own
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()  # one process's own (no multiprocess dir)
REQUESTS = Counter(
    "http_server_requests", "HTTP requests answered", ("route", "method", "code"), registry=REGISTRY
)
DURATION = Histogram(
    "http_server_request_duration_seconds",
    "Time to answer an HTTP request",
    ("route", "method"),
    buckets=BUCKETS,
    registry=REGISTRY,
)
DB_TIME = Histogram(
    "db_client_operation_duration_seconds",
    "Time of each database query, by the route that ran it",
    ("route",),
    buckets=BUCKETS,
    registry=REGISTRY,
)


class ObservedRequests:
    """First in ``MIDDLEWARE`` (after OpenTelemetry's own, which puts itself first): the
    request id for the log lines, the request's time and its queries' times."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        given: Any = request
        given.request_id = request_id  # Django logs 4xx after this returns: the formatter
        context = trace.get_current_span().get_span_context()  # reads both off the request
        if context.is_valid:
            given.trace_ids = (format(context.trace_id, "032x"), format(context.span_id, "016x"))
        token = REQUEST_ID.set(request_id)
        queries: list[float] = []

        def timed(execute: Any, sql: Any, params: Any, many: Any, ctx: Any) -> Any:
            began = time.perf_counter()
            try:
                return execute(sql, params, many, ctx)
            finally:
                queries.append(time.perf_counter() - began)

        began = time.perf_counter()
        try:
            with connection.execute_wrapper(timed):
                response = self.get_response(request)
        finally:
            REQUEST_ID.reset(token)
        elapsed = time.perf_counter() - began
        match = request.resolver_match
        route = route_label(match.route if match is not None else None)
        try:
            REQUESTS.labels(route, request.method, str(response.status_code)).inc()
            DURATION.labels(route, request.method).observe(elapsed)
            if queries:
                db_time = DB_TIME.labels(route)
                for seconds in queries:
                    db_time.observe(seconds)
        except OSError as error:  # the multiprocess dir gone or full: no figure, same answer
            log.warning(
                "request metrics not recorded (%s=%s): %s",
                MULTIPROC,
                os.environ.get(MULTIPROC),
                error,
                extra={"request_id": request_id},
            )
        return response


_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


@functools.lru_cache(maxsize=512)  # a few dozen routes: the regex runs once per route
def route_label(route: str | None) -> str:
    if not route:
        return "unmatched"
    return _GROUP.sub(r"<\1>", route).removeprefix("^").removesuffix("$")


def bearer_matches(header: str, expected: str) -> bool:
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    )


def error(status: int, code: str, message: str) -> JsonResponse:
    """The monolith's one error envelope (the services answer in it too)."""
    body = {"error": {"status": status, "code": code, "message": message}}
    return JsonResponse(body, status=status)


def metrics_view(request: HttpRequest) -> HttpResponse:
    expected = os.environ.get("METRICS_TOKEN", "")
    if not expected:
        return error(404, "not_found", f"No endpoint at {request.path}.")
    if request.method not in ("GET", "HEAD"):
        return error(405, "method_not_allowed", f'Method "{request.method}" not allowed.')
    if not bearer_matches(request.headers.get("Authorization", ""), expected):
        refused = error(401, "authentication_failed", "Invalid or missing metrics token.")
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def exposition() -> bytes:
    if not os.environ.get(MULTIPROC):
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
