"""The mitmproxy engine: route each request by the flag store's route table.

Runs in its own environment (``make mitm``: mitmproxy pins an h11 the main env cannot have)::

    .venv-mitm/bin/mitmdump -s strangler_proxy/mitm/addon.py \\
        --mode reverse:http://127.0.0.1:8000 \\
        --set strangler_store=sqlite:///var/flags.sqlite3 -w flows.mitm

The reverse target is the monolith. Per request the addon asks the pure routing core who
answers: the monolith (the flow is left alone), or a service instance from the registry
(the flow is retargeted; round-robin, no health checks). In shadow mode the monolith
answers and a copy is replayed to the service through mitmproxy's client replay. Every
flow carries ``metadata["strangler"]`` (role, route, served_by, shadow; a shadow
copy also ``shadow_of``: the primary flow's id), so a flow file written with ``-w`` pairs
each monolith answer with its service twin for the comparison tools. Responses carry
``X-Strangler-Served-By`` and ``X-Strangler-Route``.

Only the routing core and the flag store are imported here besides mitmproxy.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from mitmproxy import ctx, exceptions, http

from strangler_proxy.mitm.router import Plan, Router, Upstream, internal_headers
from strangler_proxy.store import FlagStore, open_store

logger = logging.getLogger(__name__)

DEFAULT_STORE = "sqlite:///var/flags.sqlite3"


class StranglerAddon:
    def __init__(self) -> None:
        # both set by configure(), which mitmproxy calls when it loads the addon
        self.store: FlagStore | None = None
        self.router: Router | None = None

    def load(self, loader: Any) -> None:
        loader.add_option("strangler_store", str, DEFAULT_STORE, "Flag store URL (sqlite:///path).")
        loader.add_option(
            "strangler_poll_ms", int, 500, "Milliseconds between checks of the store's version."
        )

    def configure(self, updated: set[str]) -> None:
        if not {"strangler_store", "strangler_poll_ms"} & updated:
            return
        poll_ms = ctx.options.strangler_poll_ms
        if poll_ms <= 0:
            raise exceptions.OptionsError(f"strangler_poll_ms must be positive, got {poll_ms}")
        url = ctx.options.strangler_store
        try:
            store = open_store(url)
        except Exception as exc:  # any failure to open the store, named
            # at startup mitmdump exits with this; later, mitmproxy rolls the option back
            # and the current router stays
            raise exceptions.OptionsError(f"strangler_store={url!r}: {exc}") from exc
        try:
            router = Router(store, poll_interval=poll_ms / 1000)
        except Exception as exc:
            store.close()
            raise exceptions.OptionsError(f"strangler_store={url!r}: {exc}") from exc
        previous, self.store, self.router = self.store, store, router
        if previous is not None:
            previous.close()
        logger.info("strangler: %s routes from %s", len(router.table), url)

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.is_replay == "request":  # a shadow copy, already aimed at its service
            return
        for name in internal_headers(list(flow.request.headers.keys())):
            del flow.request.headers[name]
        if self.router is None:
            flow.response = _error(503, "the strangler addon has no flag store yet")
            return
        peer = flow.client_conn.peername
        plan = self.router.plan(
            flow.request.method,
            flow.request.path.split("?", 1)[0],
            {k.lower(): v for k, v in flow.request.headers.items()},
            peer[0] if peer else None,
        )
        flow.metadata["strangler"] = plan.metadata()
        if plan.shadow is not None:
            self._send_shadow(flow, plan)
        if plan.target is not None:
            _retarget(flow.request, plan.target)

    def response(self, flow: http.HTTPFlow) -> None:
        info = flow.metadata.get("strangler")
        if flow.response is None or not info or info.get("role") != "primary":
            return
        flow.response.headers["X-Strangler-Served-By"] = info["served_by"]
        if info.get("route"):
            flow.response.headers["X-Strangler-Route"] = info["route"]

    def _send_shadow(self, flow: http.HTTPFlow, plan: Plan) -> None:
        assert plan.shadow is not None
        copy = flow.copy()
        _retarget(copy.request, plan.shadow)
        copy.metadata["strangler"] = {
            "role": "shadow",
            "route": plan.decision.route_id,
            "served_by": plan.decision.shadow,
            "shadow_of": flow.id,
        }
        ctx.master.commands.call("replay.client", [copy])


def _retarget(request: http.Request, upstream: Upstream) -> None:
    request.scheme = upstream.scheme
    request.host = upstream.host  # also rewrites the Host header
    request.port = upstream.port
    if upstream.prefix:
        request.path = upstream.prefix + request.path


def _error(status: int, message: str) -> http.Response:
    body = json.dumps({"error": message, "status": status})
    return http.Response.make(status, body, {"Content-Type": "application/json"})


addons = [StranglerAddon()]
