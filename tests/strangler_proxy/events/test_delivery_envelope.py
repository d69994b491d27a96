"""The event on the wire: every malformed field is named (the inbox's ``rejected`` reasons
and the relay's errors read like these)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from strangler_proxy.events.envelope import Event, InvalidEvent, parse_results
from tests.strangler_proxy.events.delivery_kit import event

GOOD: dict[str, Any] = event("12", 3, price="12.50").to_dict()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"id": 7}, "id"),
        ({"aggregatetype": ""}, "aggregatetype"),
        ({"aggregateid": 12}, "aggregateid"),
        ({"type": "x" * 65}, "type"),
        ({"version": True}, "version"),
        ({"version": 2.5}, "version"),
        ({"origin": None}, "origin"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"payload": [1]}, "payload"),
        ({"headers": {"traceparent": 1}}, "headers"),
    ],
)
def test_a_bad_field_is_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        Event.from_json(orjson.dumps({**GOOD, **change}))
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_a_missing_field_and_a_body_that_is_not_json() -> None:
    without = {k: v for k, v in GOOD.items() if k != "origin"}
    with pytest.raises(InvalidEvent, match=r"^origin: missing$"):
        Event.from_json(orjson.dumps(without))
    with pytest.raises(InvalidEvent, match=r"^event: not JSON"):
        Event.from_json(b"{")


def test_headers_may_be_left_out_and_the_round_trip_is_exact() -> None:
    without = {k: v for k, v in GOOD.items() if k != "headers"}
    parsed = Event.from_json(orjson.dumps(without))
    assert parsed.headers == {}
    assert orjson.loads(parsed.to_json()) == GOOD


def test_an_id_has_one_spelling_and_an_answer_may_use_another() -> None:
    spelled = {**GOOD, "id": GOOD["id"].replace("-", "").upper()}  # Django's SQLite spelling
    parsed = Event.from_json(orjson.dumps(spelled))
    assert parsed.id == GOOD["id"]
    answer = orjson.dumps({"results": [{"id": spelled["id"], "outcome": "applied"}]})
    assert [r.id for r in parse_results(answer, [parsed])] == [GOOD["id"]]
