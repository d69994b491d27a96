"""The proxy's span, one table against both engines (the production engine and the
mitmproxy addon), each with tracing on (``strangler_files``, every request sampled) and off.

On: the upstream sees a ``traceparent`` of the client's trace naming the proxy's span as its
parent (``tracestate`` as sent); the span file holds that span with the route, mode, who
answered and the fallback; a shadow copy carries a child CLIENT span, ended with the
comparison's verdict; a request without ``traceparent`` starts a trace. Off: the client's
``traceparent`` reaches the upstream byte for byte.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.strangler_proxy.mitm.conftest import MITM_BIN, mitmdump
from tests.strangler_proxy.proxy_stack import Running, proxy, route, seed, standin, until

ENGINES = ("engine", "mitmproxy")
TRACESTATE = "vendor=opaque,other=1"
Span = dict[str, Any]
SERVER, CLIENT, STATUS_ERROR = 2, 3, 2  # OTLP JSON enums, as numbers


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tracing")


@pytest.fixture(scope="module")
def stand_ins(var_dir: Path) -> Iterator[dict[str, Running]]:
    with contextlib.ExitStack() as stack:
        procs = {n: stack.enter_context(standin(n, var_dir)) for n in ("monolith", "catalog")}
        procs["failing"] = stack.enter_context(standin("failing", var_dir))
        httpx.post(procs["failing"].url + "/_control/behaviour/fail", trust_env=False)
        yield procs


@pytest.fixture(scope="module")
def proxies(stand_ins: dict[str, Running], var_dir: Path) -> Iterator[dict[str, Any]]:
    """engine -> {"on": url, "off": url, "traces": dir}; the engine's access log too."""
    url = f"sqlite:///{var_dir / 'flags.sqlite3'}"
    store = open_store(url, create=True)
    seed(
        store,
        {"catalog": [stand_ins["catalog"].url], "failing": [stand_ins["failing"].url]},
        [
            route("svc", "/svc/{rest:path}", Mode.SERVICE, "catalog"),
            route("failing", "/failing/{rest:path}", Mode.SERVICE, "failing"),
            route("shadowed", "/shadowed/{rest:path}", Mode.SHADOW, "catalog"),
        ],
    )
    store.close()
    (var_dir / "rules.toml").write_text("")  # every shadowed copy compared (the default)
    monolith = stand_ins["monolith"].url
    off = {"OTEL_TRACES_EXPORTER": "none"}
    found: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        for engine in ENGINES:
            traces = var_dir / f"traces-{engine}"
            on = {
                "OTEL_TRACES_EXPORTER": "strangler_files",
                "STRANGLER_TRACES_DIR": str(traces),
                "OTEL_TRACES_SAMPLER": "parentbased_always_on",
                "OTEL_BSP_SCHEDULE_DELAY": "50",
            }
            if engine == "engine":
                args = ("--rules", str(var_dir / "rules.toml"), "--no-auto-rollback")
                log = ("--access-log", str(var_dir / "access.log"))
                urls = [
                    stack.enter_context(proxy(monolith, url, var_dir, *a, env=e)).url
                    for a, e in (((*args, *log), on), (args, off))
                ]
            else:
                rules = ("--set", f"strangler_rules={var_dir / 'rules.toml'}")
                started_m = [
                    stack.enter_context(mitmdump(MITM_BIN, var_dir, monolith, url, *rules, env=e))
                    for e in (on, off)
                ]
                urls = [p.base_url for p in started_m]
            found[engine] = {"on": urls[0], "off": urls[1], "traces": traces}
        yield found


def spans(traces: Path) -> list[Span]:
    """Every span written so far (OTLP JSON lines), attributes as a plain dict."""
    out: list[Span] = []
    for path in sorted(traces.glob("*.jsonl")) if traces.exists() else []:
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                for resource in json.loads(line)["resourceSpans"]:
                    for scope in resource["scopeSpans"]:
                        out.extend(_plain(span) for span in scope["spans"])
    return out


def _plain(span: Span) -> Span:
    values = (next(iter(a["value"].values()), None) for a in span.get("attributes", []))
    attributes = {a["key"]: v for a, v in zip(span.get("attributes", []), values, strict=True)}
    return {**span, "attributes": attributes}


def span_of(traces: Path, span_id: str) -> Span:
    return until(lambda: next((s for s in spans(traces) if s["spanId"] == span_id), None))


def parent_of(traceparent: str) -> tuple[str, str, str]:
    """(trace id, parent span id, flags) of a ``traceparent``."""
    version, trace_id, span_id, flags = traceparent.split("-")
    assert version == "00"
    return trace_id, span_id, flags


def client_traceparent() -> tuple[str, str, str]:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace_id}-{span_id}-01", trace_id, span_id


@pytest.mark.parametrize("engine", ENGINES)
def test_the_proxy_span_continues_the_trace_and_the_upstream_carries_it(
    engine: str, proxies: dict[str, Any], stand_ins: dict[str, Running]
) -> None:
    urls = proxies[engine]
    traces: Path = urls["traces"]
    sent, trace_id, client_span = client_traceparent()
    headers = {"traceparent": sent, "tracestate": TRACESTATE}
    # to the service: the same trace, the proxy's span its parent, tracestate as sent
    answer = httpx.get(urls["on"] + "/svc/x", headers=headers, trust_env=False)
    seen = answer.json()["headers"]
    assert seen["tracestate"] == TRACESTATE
    seen_trace, proxy_span, flags = parent_of(seen["traceparent"])
    assert (seen_trace, flags) == (trace_id, "01") and proxy_span != client_span
    span = span_of(traces, proxy_span)
    assert (span["name"], span["kind"]) == ("GET svc", SERVER)
    assert (span["traceId"], span["parentSpanId"]) == (trace_id, client_span)
    assert span["attributes"] | {"strangler.request_id": None} == {
        "http.request.method": "GET", "url.path": "/svc/x", "strangler.route": "svc",
        "strangler.mode": "service", "strangler.served_by": "catalog",
        "http.response.status_code": "200", "strangler.request_id": None,
    }  # fmt: skip
    assert span["attributes"]["strangler.request_id"] == answer.headers["x-request-id"]

    # a fallback: the monolith answers, the span says why
    sent, trace_id, _ = client_traceparent()
    answer = httpx.get(urls["on"] + "/failing/x", headers={"traceparent": sent}, trust_env=False)
    assert answer.json()["served_by"] == "monolith"
    span = span_of(traces, parent_of(answer.json()["headers"]["traceparent"])[1])
    assert span["traceId"] == trace_id
    assert span["attributes"]["strangler.fallback"] == "5xx"
    assert span["attributes"]["strangler.served_by"] == "monolith"

    # a 5xx relayed (a POST is not repeated at the monolith): the span's status is ERROR
    answer = httpx.post(urls["on"] + "/failing/x", content=b"{}", trust_env=False)
    assert answer.status_code == 503
    failed = until(lambda: [s for s in spans(traces) if s["name"] == "POST failing"] or None)
    assert failed[0]["status"]["code"] == STATUS_ERROR

    # no traceparent: a new trace, the proxy's span its root
    answer = httpx.get(urls["on"] + "/plain/x", trust_env=False)
    new_trace, root_id, _ = parent_of(answer.json()["headers"]["traceparent"])
    root = span_of(traces, root_id)
    assert (root["name"], root["traceId"], root.get("parentSpanId", "")) == (
        "GET unmatched", new_trace, "")  # fmt: skip

    # a shadow copy: a CLIENT child span the copy carries, ended with the verdict
    sent, trace_id, _ = client_traceparent()
    path = f"/shadowed/{engine}"
    answer = httpx.get(urls["on"] + path, headers={"traceparent": sent}, trust_env=False)
    request_span = span_of(traces, parent_of(answer.json()["headers"]["traceparent"])[1])
    assert request_span["attributes"]["strangler.shadow"] == "sent"
    copy = until(
        lambda: next((s for s in spans(traces) if s["name"] == "shadow shadowed"
                      and s["parentSpanId"] == request_span["spanId"]), None)
    )  # fmt: skip
    assert (copy["kind"], copy["traceId"]) == (CLIENT, trace_id)
    assert copy["attributes"]["strangler.shadow.outcome"] == "mismatch"  # the stand-ins differ
    catalog = stand_ins["catalog"].url
    copy_seen = httpx.get(catalog + "/_seen", params={"path": path}, trust_env=False).json()
    assert parent_of(copy_seen["traceparent"])[:2] == (trace_id, copy["spanId"])

    # off: the client's trace context reaches the upstream byte for byte
    sent, _, _ = client_traceparent()
    headers = {"traceparent": sent, "tracestate": TRACESTATE}
    seen = httpx.get(urls["off"] + "/svc/x", headers=headers, trust_env=False).json()["headers"]
    assert (seen["traceparent"], seen["tracestate"]) == (sent, TRACESTATE)
    seen = httpx.get(urls["off"] + "/svc/y", trust_env=False).json()["headers"]
    assert "traceparent" not in seen


def test_the_access_log_has_the_trace_id(proxies: dict[str, Any], var_dir: Path) -> None:
    sent, trace_id, _ = client_traceparent()
    httpx.get(proxies["engine"]["on"] + "/logged/x", headers={"traceparent": sent},
              trust_env=False)  # fmt: skip

    def line() -> dict[str, Any] | None:
        records = [json.loads(x) for x in (var_dir / "access.log").read_text().splitlines()]
        return next((r for r in records if r["target"] == "/logged/x"), None)

    assert until(line)["trace_id"] == trace_id


@pytest.mark.parametrize("engine", ENGINES)
def test_the_identity_exchange_joins_the_requests_trace_in_both_engines(
    engine: str, proxies: dict[str, Any], stand_ins: dict[str, Running]
) -> None:
    """A credential going to a service is exchanged at the monolith (here the stand-in, whose
    echo is no token: the client gets the 502 naming it): the exchange's POST names the
    proxy's span as its parent; tracing off, it carries no ``traceparent``."""
    urls, monolith = proxies[engine], stand_ins["monolith"].url
    exchange = {"path": "/api/auth/jwt/exchange/"}
    sent, trace_id, _ = client_traceparent()
    for tracing in ("on", "off"):
        headers = {"traceparent": sent, "authorization": f"Token {engine}-{tracing}"}
        answer = httpx.get(urls[tracing] + "/svc/exchanged", headers=headers, trust_env=False)
        assert answer.status_code == 502, answer.text
        seen = httpx.get(monolith + "/_seen", params=exchange, trust_env=False).json()
        assert seen["authorization"] == f"Token {engine}-{tracing}"
        if tracing == "off":
            assert "traceparent" not in seen
            continue
        seen_trace, parent, _ = parent_of(seen["traceparent"])
        span = span_of(urls["traces"], parent)
        assert (span["name"], span["traceId"], seen_trace) == ("GET svc", trace_id, trace_id)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_dropped_copy_and_the_proxys_own_error_in_process(anyio_backend: str) -> None:
    """In process (a fake upstream, an in-memory exporter): a copy the full queue drops ends
    its span ``dropped`` at once; the proxy's own error sets the span's status to ERROR."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import StatusCode

    from strangler_proxy.balancing import ServicePools
    from strangler_proxy.engine.app import ProxyApp, TableHolder
    from strangler_proxy.engine.settings import EngineSettings
    from strangler_proxy.engine.shadow import ShadowDispatcher
    from strangler_proxy.engine.tracing import RequestTracer
    from strangler_proxy.engine.upstream import ConnectFailed
    from strangler_proxy.metrics import Metrics
    from strangler_proxy.routing import RouteTable
    from tests.strangler_proxy.engine.test_app import MONOLITH, SERVICE, FakeUpstream, call

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    upstream = FakeUpstream({MONOLITH: 200, SERVICE: 200})
    settings = EngineSettings(monolith_url=str(MONOLITH))
    table = RouteTable.build([route("orders", "/orders/{rest:path}", Mode.SHADOW, "orders")])
    pools = ServicePools()
    pools.update({"orders": (str(SERVICE),)})
    metrics = Metrics()
    shadow = ShadowDispatcher(upstream, pools, metrics, settings.timeouts, queue_size=1)
    tracer = RequestTracer(provider.get_tracer("test"))
    app = ProxyApp(settings, TableHolder(table), pools, upstream, metrics, shadow, tracer=tracer)

    await call(app, "GET", "/orders/1")  # queued (no shadow worker runs here)
    await call(app, "GET", "/orders/2")  # the queue is full: dropped
    upstream.outcomes[MONOLITH] = ConnectFailed("refused")
    assert (await call(app, "GET", "/orders/3"))[0] == 502

    finished = {
        (s.name, (s.attributes or {}).get("url.path")): s for s in exporter.get_finished_spans()
    }
    first, second = finished[("GET orders", "/orders/1")], finished[("GET orders", "/orders/2")]
    assert (first.attributes or {})["strangler.shadow"] == "sent"
    assert (second.attributes or {})["strangler.shadow"] == "dropped"
    (dropped,) = [s for s in exporter.get_finished_spans() if s.name == "shadow orders"]
    assert dropped.parent is not None and dropped.parent.span_id == second.context.span_id
    assert (dropped.attributes or {})["strangler.shadow.outcome"] == "dropped"
    failed = finished[("GET orders", "/orders/3")]
    assert failed.status.status_code is StatusCode.ERROR
    assert (failed.attributes or {})["strangler.served_by"] == "proxy"
    assert "refused" in (failed.status.description or "")


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_identity_exchange_joins_the_requests_trace(anyio_backend: str) -> None:
    """The exchange's POST names the request's (current) span as its parent; off, nothing."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    from strangler_proxy.engine.identity_post import UpstreamPost
    from strangler_proxy.engine.upstream import Timeouts
    from tests.strangler_proxy.engine.test_app import MONOLITH, FakeUpstream

    seen: list[list[tuple[bytes, bytes]]] = []

    class Recording(FakeUpstream):
        async def request(self, origin: Any, method: str, target: bytes, headers: Any,
                          body: Any, timeouts: Any) -> Any:  # fmt: skip
            seen.append(list(headers))
            return await super().request(origin, method, target, headers, body, timeouts)

    post = UpstreamPost(Recording({MONOLITH: 200}), Timeouts(1, 1, 1))
    url = f"http://{MONOLITH.host}:{MONOLITH.port}/api/auth/jwt/exchange/"
    await post(url, [(b"authorization", b"Token t")], b"{}")
    span = TracerProvider().get_tracer("test").start_span("GET svc")
    with trace.use_span(span, end_on_exit=True):
        await post(url, [(b"authorization", b"Token t")], b"{}")
    assert b"traceparent" not in dict(seen[0])
    ctx = span.get_span_context()
    assert dict(seen[1])[b"traceparent"] == b"00-%032x-%016x-01" % (ctx.trace_id, ctx.span_id)
