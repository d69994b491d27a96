"""The monolith's traces, metrics and logs (issue 11), under gunicorn as ``strangler up`` runs
it: its gunicorn config module, 2 workers, span files (``strangler_files``), multiprocess
metrics. One server for the module; each test asserts many things."""

from __future__ import annotations

import doctest
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from extracted_services.chassis import logs, metrics, spans, tracing
from tests.conftest import RunningServer, monolith_env, prepare_monolith_db, start_monolith
from tests.legacy_monolith.observed import (
    CLIENT,
    CONSUMER,
    SERVER,
    TRACED,
    eventually,
    having,
    json_lines,
    scrape,
    trace_of,
    traceparent,
)
from tests.legacy_monolith.outbox.conftest import event
from tests.legacy_monolith.test_over_http import login

METRICS_TOKEN = "monolith-metrics-token"
EVENTS_TOKEN = "monolith-events-token"
CONF = "legacy_monolith.shop.gunicorn_conf"


@pytest.mark.parametrize("module", [logs, metrics, spans, tracing])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_an_unknown_exporter_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match=r"OTEL_TRACES_EXPORTER=zipkin.*strangler_files"):
        tracing.tracer_provider("legacy-monolith", {"OTEL_TRACES_EXPORTER": "zipkin"})
    assert tracing.tracer_provider("legacy-monolith", {}) is None


def test_text_logs_when_asked(monkeypatch):
    monkeypatch.setenv("STRANGLER_LOG_FORMAT", "text")
    config = logs.django_logging("legacy-monolith", "legacy_monolith")
    assert "()" not in config["formatters"]["line"]  # no JSON formatter
    assert logs.gunicorn_logging("legacy-monolith") == {}  # gunicorn's own text


def test_an_otlp_endpoint_means_the_otlp_exporter():
    provider = tracing.tracer_provider(
        "legacy-monolith",
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_SERVICE_NAME": "shop-a"},
    )
    assert provider is not None
    try:
        assert provider.resource.attributes["service.name"] == "shop-a"
        assert type(tracing.exporter("otlp")).__name__ == "OTLPSpanExporter"
    finally:
        provider.shutdown()


def test_metrics_without_a_token_are_not_there(anon, monkeypatch):
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    answer = anon.get("/metrics")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


@pytest.fixture(scope="module")
def monolith(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    var_dir = tmp_path_factory.mktemp("monolith-observed")
    env = {**monolith_env(var_dir), "EVENTS_TOKEN": EVENTS_TOKEN}
    prepare_monolith_db(env)
    (var_dir / "prometheus").mkdir()
    (var_dir / "prometheus" / "counter_1.db").write_bytes(b"an earlier run's")  # wiped at start
    env |= {
        **TRACED,
        "STRANGLER_TRACES_DIR": str(var_dir / "traces"),
        "METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(var_dir / "prometheus"),
    }
    proc = start_monolith(var_dir, env, config=CONF)
    try:
        yield RunningServer(proc.base_url, proc, env)
    finally:
        proc.stop()


def traces_dir(server: RunningServer) -> Path:
    return Path(server.env["STRANGLER_TRACES_DIR"])


def test_a_request_is_one_trace_with_its_queries(monolith):
    trace_id = uuid.uuid4().hex
    answer = httpx.get(
        f"{monolith.base_url}/api/catalog/products/3/",
        headers={"traceparent": traceparent(trace_id), "X-Request-ID": "req-trace-1"},
    )
    assert answer.status_code == 200
    found = trace_of(traces_dir(monolith), trace_id, until=having(SERVER, CLIENT))
    (server,) = [s for s in found if s.kind == SERVER]
    assert server.service == "legacy-monolith"
    assert server.parent_id == "b7ad6b7169203331"  # the caller's span: the trace continues
    assert server.attributes["strangler.request_id"] == "req-trace-1"
    assert server.attributes["http.request.method"] == "GET"  # the stable names, as the proxy's
    assert server.attributes["http.response.status_code"] == 200
    queries = [s for s in found if s.kind == CLIENT]
    assert queries and {q.parent_id for q in queries} == {server.span_id}
    assert all(q.attributes["db.system"] == "sqlite" for q in queries)


def test_an_event_recorded_by_a_request_carries_the_monolith_span(monolith):
    trace_id = uuid.uuid4().hex
    with closing(login(monolith.base_url, "staff", "staff-demo-pass")) as staff:
        changed = staff.patch(
            "/api/catalog/products/2/",
            json={"price": "12.34"},
            headers={"traceparent": traceparent(trace_id), "X-Request-ID": "req-write-1"},
        )
    assert changed.status_code == 200, changed.text
    database = Path(monolith.env["STRANGLER_VAR_DIR"]) / "monolith.sqlite3"
    with closing(sqlite3.connect(database)) as db:
        (raw,) = db.execute("SELECT headers FROM outbox ORDER BY seq DESC LIMIT 1").fetchone()
    headers = json.loads(raw)
    assert headers["x-request-id"] == "req-write-1"
    _, recorded_trace, recorded_span, _ = headers["traceparent"].split("-")
    assert recorded_trace == trace_id
    found = trace_of(traces_dir(monolith), trace_id, until=having(SERVER))
    (server,) = [s for s in found if s.kind == SERVER]
    assert recorded_span == server.span_id  # not the caller's: the monolith's own span


def test_an_applied_event_joins_the_trace_that_caused_it(monolith):
    trace_id = uuid.uuid4().hex
    sent = event("category.upserted", category(901))
    sent["headers"] = {"traceparent": traceparent(trace_id, "00f067aa0ba902b7")}
    answer = httpx.post(
        f"{monolith.base_url}/internal/events/",
        json={"events": [sent]},
        headers={"Authorization": f"Bearer {EVENTS_TOKEN}"},
    )
    assert answer.json() == {"results": [{"id": sent["id"], "outcome": "applied"}]}
    found = trace_of(traces_dir(monolith), trace_id, until=having(CONSUMER, CLIENT))
    (apply,) = [s for s in found if s.kind == CONSUMER]
    assert apply.name == "category.upserted apply"
    assert apply.parent_id == "00f067aa0ba902b7"
    assert apply.attributes["messaging.message.id"] == sent["id"]
    assert apply.attributes["strangler.event.outcome"] == "applied"
    queries = [s for s in found if s.kind == CLIENT]
    assert queries and {q.parent_id for q in queries} == {apply.span_id}


def category(pk: int) -> dict[str, object]:
    stamp = "2026-12-01T11:00:00Z"
    return {
        **{"id": pk, "name": f"Applied {pk}", "slug": f"applied-{pk}", "parent_id": None},
        **{"description": "", "created_at": stamp, "updated_at": stamp},
    }


def test_metrics_count_every_worker_behind_the_token(monolith):
    url = f"{monolith.base_url}/metrics"
    refused = httpx.get(url, headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"
    assert httpx.get(url).status_code == 401
    route = (("method", "GET"), ("route", "api/catalog/categories/"))
    before = scrape(monolith.base_url, METRICS_TOKEN)
    with httpx.Client(base_url=monolith.base_url) as client:
        for _ in range(12):
            assert client.get("/api/catalog/categories/").status_code == 200

    def workers() -> set[str] | None:
        httpx.get(f"{monolith.base_url}/health/")  # a new connection: either worker takes it
        files = Path(monolith.env["PROMETHEUS_MULTIPROC_DIR"]).iterdir()
        pids = {path.name.split("_")[-1] for path in files}
        return pids if len(pids) >= 2 else None

    assert "1.db" not in eventually(workers)  # both workers wrote; the stale file is gone
    for _ in range(4):  # whichever worker answers the scrape, it adds every worker's files up
        after = scrape(monolith.base_url, METRICS_TOKEN)
        counted = ("http_server_requests_total", (("code", "200"), *route))
        assert after[counted] - before.get(counted, 0) == 12
        observed = ("http_server_request_duration_seconds_count", route)
        assert after[observed] - before.get(observed, 0) == 12
        db = ("db_client_operation_duration_seconds_count", (("route", "api/catalog/categories/"),))
        assert after[db] - before.get(db, 0) >= 12


def test_log_lines_are_json_with_request_and_trace_ids(monolith):
    trace_id = uuid.uuid4().hex
    answer = httpx.get(
        f"{monolith.base_url}/no/such/page/",
        headers={"traceparent": traceparent(trace_id), "X-Request-ID": "req-log-1"},
    )
    assert answer.status_code == 404
    log = Path(monolith.env["STRANGLER_VAR_DIR"]) / "monolith.log"

    def lines() -> list[dict[str, object]] | None:
        found = [line for line in json_lines(log) if line["request_id"] == "req-log-1"]
        return found if len(found) >= 2 else None  # the warning and the access line

    found = eventually(lines)
    by_logger = {line["logger"]: line for line in found}
    warning = by_logger["django.request"]
    assert warning["message"] == "Not Found: /no/such/page/" and warning["level"] == "WARNING"
    assert warning["trace_id"] == trace_id and warning["service"] == "legacy-monolith"
    assert len(str(warning["span_id"])) == 16 and str(warning["ts"]).endswith("Z")
    access = by_logger["gunicorn.access"]
    assert access["trace_id"] == trace_id and access["status"] == "404"
    assert any(line["logger"] == "gunicorn.error" for line in json_lines(log))
