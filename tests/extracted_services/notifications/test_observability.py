"""The notifications service through the services' chassis (issue 11): an applied event's
span joins the trace that caused it, with its queries; no metrics token, no ``/metrics``."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.extracted_services.notifications.events import OrderEvents
from tests.extracted_services.notifications.service import post_events, start_notifications
from tests.extracted_services.notifications.test_events import fake_order
from tests.legacy_monolith.observed import (
    CLIENT,
    CONSUMER,
    TRACED,
    having,
    trace_of,
    traceparent,
)

EVENTS_TOKEN = "observed-events-token"


def test_an_applied_event_joins_its_trace_and_metrics_need_a_token(tmp_path: Path) -> None:
    traces = tmp_path / "traces"
    env = {**TRACED, "STRANGLER_TRACES_DIR": str(traces), "EVENTS_TOKEN": EVENTS_TOKEN}
    with start_notifications(tmp_path, **env) as service:
        hidden = httpx.get(f"{service.base_url}/metrics", headers={"Authorization": "Bearer x"})
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
        trace_id = uuid.uuid4().hex
        placed = OrderEvents(fake_order(910_001)).placed("someone")
        placed["headers"] = {"traceparent": traceparent(trace_id, "00f067aa0ba902b7")}
        answer = post_events(service.base_url, EVENTS_TOKEN, [placed])
        assert answer.json()["results"] == [{"id": placed["id"], "outcome": "applied"}]
        found = trace_of(traces, trace_id, until=having(CONSUMER, CLIENT))
    (apply,) = [span for span in found if span.kind == CONSUMER]
    assert apply.service == "notifications" and apply.name == "order.placed apply"
    assert apply.parent_id == "00f067aa0ba902b7"
    assert apply.attributes["strangler.event.outcome"] == "applied"
    assert {q.parent_id for q in found if q.kind == CLIENT} == {apply.span_id}
