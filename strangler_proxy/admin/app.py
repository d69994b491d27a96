"""The admin API: a small plain-ASGI application on its own (loopback) port.

Plain ASGI rather than a framework: eleven endpoints, and route ids may contain ``/``, so
paths are split on the *raw* (still percent-encoded) path, which frameworks decode
before routing. Store calls run in a worker thread so a busy SQLite never stalls the loop.

    GET   /health                      no token needed
    GET   /routes                      {"version", "routes": [...]} in precedence order
    GET   /routes/{id}                 one route
    PATCH /routes/{id}                 {"mode", "percent", "service", "shadow_writes", "reason",
                                       "force"}: a move to canary or service passes the
                                       promotion gate (409 promotion_refused) unless forced
    GET   /diffs                       shadow evidence per route (samples, rates, top paths)
    GET   /diffs/{id}                  one route's evidence and its latest samples (?limit=N)
    GET   /routes/{id}/history         audit records, newest first (?limit=N)
    GET   /history                     all audit records
    GET   /services                    registry (+ health when the data plane provides it)
    POST  /services                    {"name", "urls", "reason"}
    GET   /services/{name}/health      one service's instances and their health
    GET   /metrics                     Prometheus text from the data plane
    GET   /traces/{key}                one trace as a waterfall, by trace id or request id
    /dashboard...                      the live migration dashboard (``admin.dashboard.web``)

Every endpoint but /health takes the bearer token or a dashboard session cookie; a change
made with the cookie needs the session's CSRF token and the admin's own Origin (403).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from strangler_proxy.admin.auth import AdminTokens
from strangler_proxy.admin.dashboard.access import csrf_refusal, identify
from strangler_proxy.admin.dashboard.live import Feed, Sources
from strangler_proxy.admin.dashboard.sessions import Sessions
from strangler_proxy.admin.dashboard.web import Dashboard
from strangler_proxy.admin.evidence import EvidenceView
from strangler_proxy.admin.http import (
    MAX_BODY,
    Receive,
    Request,
    Response,
    Scope,
    Send,
    TooLarge,
    error,
    header_map,
    json_response,
    lifespan,
    read_body,
    send_response,
    split_path,
)
from strangler_proxy.admin.payloads import (
    RoutePatch,
    parse_limit,
    parse_route_patch,
    parse_service_body,
)
from strangler_proxy.admin.traces import TraceLookup
from strangler_proxy.evidence.sample import sample_json
from strangler_proxy.evidence.summary import summarize
from strangler_proxy.registry import ServiceSpec
from strangler_proxy.routing import InvalidFlag, Mode, Route
from strangler_proxy.store import FlagStore, StoreError, UnknownRoute, UnknownService
from strangler_proxy.store.base import route_to_json

log = logging.getLogger(__name__)

#: modes a route is promoted to: serving real clients from the service (the gate decides)
PROMOTIONS = frozenset({Mode.CANARY, Mode.SERVICE})
ACTOR_HEADER = "x-strangler-actor"


class AdminApp:
    """``AdminApp(store, tokens, metrics_text=..., health_snapshot=...)`` is an ASGI app."""

    def __init__(
        self,
        store: FlagStore,
        tokens: AdminTokens,
        *,
        metrics_text: Callable[[], str] | None = None,
        health_snapshot: Callable[[], Mapping[str, Any]] | None = None,
        evidence: EvidenceView | None = None,
        metrics_snapshot: Callable[[], Mapping[str, Any]] | None = None,
        events_status: Callable[[], Mapping[str, Any]] | None = None,
        report: Path | None = None,
        traces_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.tokens = tokens
        self.metrics_text = metrics_text
        self.health_snapshot = health_snapshot
        self.evidence = evidence
        self.traces = TraceLookup(traces_dir)
        self.sessions = Sessions()
        sources = Sources(store, metrics_snapshot, health_snapshot, evidence, events_status,
                          report)  # fmt: skip
        self.dashboard = Dashboard(tokens, self.sessions, Feed(sources))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        segments = split_path(scope.get("raw_path") or scope["path"].encode())
        headers = header_map(scope)
        if segments[0] == "dashboard":
            caller = identify(self.tokens, self.sessions, headers)
            await self.dashboard.handle(scope, receive, send, segments[1:], headers, caller)
            return
        await send_response(send, await self._respond(scope, receive, segments, headers))

    async def _respond(
        self, scope: Scope, receive: Receive, segments: tuple[str, ...], headers: dict[str, str]
    ) -> Response:
        method = scope["method"]
        if segments == ("health",):
            return json_response(200, {"status": "ok"})
        caller = identify(self.tokens, self.sessions, headers)
        if caller is None:
            realm = (b"www-authenticate", b'Bearer realm="strangler-admin"')
            return error(401, "missing or wrong admin token", None, realm)
        refused = csrf_refusal(caller, method, headers, scope.get("scheme", "http"))
        if refused is not None:
            return error(403, refused)
        try:
            body = await read_body(receive) if method in ("POST", "PATCH", "PUT") else b""
        except TooLarge:
            return error(413, f"request body over {MAX_BODY} bytes", "body")
        actor = caller.actor
        if caller.session is None and headers.get(ACTOR_HEADER):
            actor = f"{headers[ACTOR_HEADER]} (token {caller.name})"
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        request = Request(method, segments, query, headers, body, actor)
        try:
            return await self._dispatch(request)
        except UnknownRoute as exc:
            return error(404, str(exc), exc.field)
        except InvalidFlag as exc:
            return error(400, str(exc), exc.field)
        except StoreError as exc:
            return error(503, f"flag store unavailable: {exc}")
        except Exception:
            log.exception("admin API error on %s %s", method, "/".join(segments))
            return error(500, "internal error (see the proxy log)")

    async def _dispatch(self, request: Request) -> Response:
        method, seg = request.method, request.segments
        match seg:
            case ("routes",):
                allowed = {"GET": self._list_routes}
            case ("routes", _):
                allowed = {"GET": self._get_route, "PATCH": self._patch_route}
            case ("routes", _, "history"):
                allowed = {"GET": self._history}
            case ("history",):
                allowed = {"GET": self._history}
            case ("services",):
                allowed = {"GET": self._list_services, "POST": self._register_service}
            case ("services", _, "health"):
                allowed = {"GET": self._service_health}
            case ("metrics",):
                allowed = {"GET": self._metrics}
            case ("diffs",):
                allowed = {"GET": self._diffs}
            case ("diffs", _):
                allowed = {"GET": self._route_diffs}
            case ("traces", _):
                allowed = {"GET": self._trace}
            case _:
                return error(404, "no such admin endpoint: /" + "/".join(seg))
        handler = allowed.get(method)
        if handler is None:
            allow = (b"allow", ", ".join(sorted(allowed)).encode())
            return error(405, f"method {method} not allowed", None, allow)
        return await handler(request)

    async def _list_routes(self, request: Request) -> Response:
        table = await asyncio.to_thread(self.store.load)
        routes = [route_to_json(r) for r in table.routes()]
        return json_response(200, {"version": table.version, "routes": routes})

    async def _get_route(self, request: Request) -> Response:
        route = await asyncio.to_thread(self.store.get_route, request.segments[1])
        return json_response(200, route_to_json(route))

    async def _patch_route(self, request: Request) -> Response:
        patch = parse_route_patch(request.body)
        reason = patch.reason
        if self.evidence is not None and patch.mode in PROMOTIONS:
            refused = await asyncio.to_thread(self._gate, request.segments[1], patch)
            if refused is not None and not patch.force:
                message = (
                    f"{request.segments[1]} may not move to {patch.mode.value} yet: {refused}"
                    " (force it with a reason if you must)"
                )
                return error(409, message, "mode", code="promotion_refused")
            if refused is not None:
                reason = f"{reason} [forced past the promotion gate: {refused}]"

        def apply() -> Route:
            return self.store.set_route(
                request.segments[1],
                mode=patch.mode,
                percent=patch.percent,
                service=patch.service,
                shadow_writes=patch.shadow_writes,
                actor=request.actor,
                reason=reason,
            )

        route = await asyncio.to_thread(apply)
        return json_response(200, route_to_json(route))

    def _gate(self, route_id: str, patch: RoutePatch) -> str | None:
        """Why this promotion is refused on the route's evidence, or None when it may go.

        Only a move from monolith or shadow is gated (canary to service keeps going), and
        only a valid flip: bad input is answered as such (400) before the evidence."""
        assert self.evidence is not None and patch.mode is not None
        current, _ = self.store.preview_route(  # a bad flip raises here, as set_route would
            route_id, mode=patch.mode, percent=patch.percent, service=patch.service
        )
        if current.mode in PROMOTIONS:
            return None
        decision = self.evidence.promotion(route_id)
        return None if decision.allowed else decision.reason()

    async def _history(self, request: Request) -> Response:
        route_id = request.segments[1] if len(request.segments) == 3 else None
        limit = parse_limit(request.query)
        records = await asyncio.to_thread(self.store.history, route_id, limit)
        return json_response(200, {"history": [r.to_json() for r in records]})

    async def _list_services(self, request: Request) -> Response:
        specs = await asyncio.to_thread(self.store.services)
        health = self._health()
        return json_response(
            200, {"services": [{**s.to_json(), "health": health_of(health, s.name)} for s in specs]}
        )

    async def _register_service(self, request: Request) -> Response:
        body = parse_service_body(request.body)

        def register() -> ServiceSpec:
            return self.store.register_service(
                body.name, body.urls, actor=request.actor, reason=body.reason
            )

        spec = await asyncio.to_thread(register)
        return json_response(201, spec.to_json())

    async def _service_health(self, request: Request) -> Response:
        name = request.segments[1]
        specs = {s.name: s for s in await asyncio.to_thread(self.store.services)}
        if name not in specs:
            exc = UnknownService(name, "name")
            return error(404, str(exc), exc.field)
        health = health_of(self._health(), name)
        return json_response(200, {**specs[name].to_json(), "health": health})

    async def _diffs(self, request: Request) -> Response:
        if self.evidence is None:
            return json_response(200, {"routes": []})
        found = await asyncio.to_thread(self.evidence.routes)
        return json_response(200, {"routes": [e.as_json() for e in found]})

    async def _route_diffs(self, request: Request) -> Response:
        route_id, limit = request.segments[1], parse_limit(request.query, default=20)
        if self.evidence is None:
            return error(404, f"no evidence for route {route_id!r}", "route")
        view = self.evidence

        def read() -> dict[str, Any]:
            recent = view.samples(route_id)
            found = summarize(route_id, recent).as_json()
            return {**found, "bar": asdict(view.bar(route_id)),
                    "samples": [sample_json(s) for s in recent[:limit]]}  # fmt: skip

        return json_response(200, await asyncio.to_thread(read))

    async def _trace(self, request: Request) -> Response:
        key = request.segments[1]
        found = await asyncio.to_thread(self.traces.find, key)
        if found is None:
            where = self.traces.directory or "no --traces-dir"
            return error(404, f"no trace found for {key!r} (spans read from {where})", "key")
        return json_response(200, found)

    async def _metrics(self, request: Request) -> Response:
        text = self.metrics_text() if self.metrics_text else "# no metrics provider attached\n"
        return Response(200, text.encode(), "text/plain; version=0.0.4; charset=utf-8")

    def _health(self) -> Mapping[str, Any]:
        return self.health_snapshot() if self.health_snapshot else {}


def health_of(snapshot: Mapping[str, Any], name: str) -> Any:
    """One service's part of the data plane's health view.

    Either ``{service: ...}`` or the engine's ``{"workers": [{"pid", "health": {service:
    [instances]}}]}``, which becomes ``[{"pid", "instances"}]`` per worker that has it.
    """
    if name in snapshot:
        return snapshot[name]
    workers = snapshot.get("workers")
    if not isinstance(workers, list):
        return None
    views = [
        {"pid": w.get("pid"), "instances": w["health"][name]}
        for w in workers
        if isinstance(w, Mapping) and isinstance(w.get("health"), Mapping) and name in w["health"]
    ]
    return views or None


def create_admin_app(
    *,
    store_url: str | None = None,
    store: FlagStore | None = None,
    token: str = "",
    metrics_text: Callable[[], str] | None = None,
    health_snapshot: Callable[[], Mapping[str, Any]] | None = None,
    evidence: EvidenceView | None = None,
    metrics_snapshot: Callable[[], Mapping[str, Any]] | None = None,
    events_status: Callable[[], Mapping[str, Any]] | None = None,
    report: Path | None = None,
    traces_dir: Path | None = None,
) -> AdminApp:
    """The admin app over ``store`` (or the store at ``store_url``); with ``evidence`` it
    serves /diffs and gates promotions on it. The dashboard reads ``metrics_snapshot``,
    ``health_snapshot``, ``events_status`` and the analyzer's ``report``; /traces reads
    the span files under ``traces_dir``.

    ``token``: one token (named ``admin``) or ``name:token,name:token``; empty falls back
    to ``STRANGLER_ADMIN_TOKEN(S)``. No token at all raises ``TokenError``: no token, no flip.
    """
    tokens = AdminTokens.parse(token) if token.strip() else AdminTokens.from_env()
    if store is None:
        from strangler_proxy.store import DEFAULT_STORE_URL, open_store

        store = open_store(store_url or DEFAULT_STORE_URL)
    return AdminApp(
        store, tokens, metrics_text=metrics_text, health_snapshot=health_snapshot,
        evidence=evidence, metrics_snapshot=metrics_snapshot, events_status=events_status,
        report=report, traces_dir=traces_dir,
    )  # fmt: skip
