"""The catalog's traces, metrics and logs through the services' chassis (issue 11): the
service as ``strangler up`` starts it (``python -m extracted_services.catalog``: its gunicorn
config module, 2 workers), with span files, multiprocess metrics and a metrics token."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import RunningServer
from tests.extracted_services.catalog.events import category, deliver
from tests.extracted_services.catalog.service import start_catalog
from tests.extracted_services.catalog.tokens import STAFF, log_in
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

METRICS_TOKEN = "catalog-metrics-token"


@dataclass(frozen=True)
class Observed:
    base_url: str
    var_dir: Path

    @property
    def traces(self) -> Path:
        return self.var_dir / "traces"


@pytest.fixture(scope="module")
def observed(
    monolith_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Observed]:
    var_dir = tmp_path_factory.mktemp("catalog-observed")
    (var_dir / "prometheus").mkdir()
    extra = {
        **TRACED,
        "STRANGLER_TRACES_DIR": str(var_dir / "traces"),
        "METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(var_dir / "prometheus"),
    }
    process = start_catalog(var_dir, monolith_server.base_url, extra_env=extra)
    try:
        yield Observed(process.base_url, var_dir)
    finally:
        process.stop()


def test_a_write_is_one_trace_and_its_event_carries_the_service_span(
    observed: Observed, monolith_server: RunningServer
) -> None:
    staff = log_in(monolith_server.base_url, STAFF)
    trace_id = uuid.uuid4().hex
    made = httpx.post(
        f"{observed.base_url}/api/catalog/categories/",
        json={"name": "Observed", "slug": "observed"},
        headers={**staff.service, "traceparent": traceparent(trace_id), "X-Request-ID": "req-c1"},
    )
    assert made.status_code == 201, made.text
    found = trace_of(observed.traces, trace_id, until=having(SERVER, CLIENT))
    (server,) = [span for span in found if span.kind == SERVER]
    assert server.service == "catalog" and server.parent_id == "b7ad6b7169203331"
    assert server.attributes["strangler.request_id"] == "req-c1"
    queries = [span for span in found if span.kind == CLIENT]
    assert {q.parent_id for q in queries} == {server.span_id}
    with closing(sqlite3.connect(observed.var_dir / "catalog.sqlite3")) as db:
        (raw,) = db.execute("SELECT headers FROM outbox ORDER BY seq DESC LIMIT 1").fetchone()
    headers = json.loads(raw)
    assert headers["x-request-id"] == "req-c1"
    assert headers["traceparent"] == f"00-{trace_id}-{server.span_id}-01"


def test_an_applied_event_joins_the_trace_that_caused_it(observed: Observed) -> None:
    trace_id = uuid.uuid4().hex
    sent = category(9301, 1, "Traced Event")
    sent["headers"] = {"traceparent": traceparent(trace_id, "00f067aa0ba902b7")}
    answer = deliver(observed.base_url, [sent])
    assert answer.json()["results"] == [{"id": sent["id"], "outcome": "applied"}]
    found = trace_of(observed.traces, trace_id, until=having(CONSUMER, CLIENT))
    (apply,) = [span for span in found if span.kind == CONSUMER]
    assert apply.name == "category.upserted apply" and apply.parent_id == "00f067aa0ba902b7"
    assert apply.attributes["messaging.message.id"] == sent["id"]
    assert apply.attributes["strangler.event.outcome"] == "applied"
    assert {q.parent_id for q in found if q.kind == CLIENT} == {apply.span_id}


def test_metrics_behind_the_token_and_json_logs(observed: Observed) -> None:
    url = f"{observed.base_url}/metrics"
    assert httpx.get(url).status_code == 401
    refused = httpx.get(url, headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "authentication_failed"
    route = (("method", "GET"), ("route", "api/catalog/categories/"))
    before = scrape(observed.base_url, METRICS_TOKEN)
    with httpx.Client(base_url=observed.base_url) as client:
        for _ in range(6):
            assert client.get("/api/catalog/categories/").status_code == 200
    for _ in range(3):  # whichever worker answers, it adds both workers' files up
        after = scrape(observed.base_url, METRICS_TOKEN)
        counted = ("http_server_requests_total", (("code", "200"), *route))
        assert after[counted] - before.get(counted, 0) == 6
        db = ("db_client_operation_duration_seconds_count", (("route", route[1][1]),))
        assert after[db] - before.get(db, 0) >= 6

    trace_id = uuid.uuid4().hex
    headers = {"traceparent": traceparent(trace_id), "X-Request-ID": "req-c-log"}
    assert httpx.get(f"{observed.base_url}/no/such/", headers=headers).status_code == 404

    def lines() -> list[dict[str, object]] | None:
        log = observed.var_dir / "catalog.log"
        found = [line for line in json_lines(log) if line["request_id"] == "req-c-log"]
        return found if len(found) >= 2 else None  # Django's warning and gunicorn's access

    by_logger = {line["logger"]: line for line in eventually(lines)}
    assert by_logger["django.request"]["trace_id"] == trace_id
    assert by_logger["django.request"]["service"] == "catalog"
    assert by_logger["gunicorn.access"]["trace_id"] == trace_id
