"""How ``services list`` words the health the data plane reports (the pure view)."""

from __future__ import annotations

from datetime import UTC, datetime

from strangler_proxy.cli.health_view import describe_instance, services_grid
from strangler_proxy.cli.tables import plain_lines

NOW = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
UP = {"url": "http://127.0.0.1:8101", "healthy": True, "ejected": False, "inflight": 2}


def test_an_ejected_instance_says_until_when_and_how_often() -> None:
    view = {
        **UP,
        "ejected": True,
        "ejections": 2,
        "ejected_until": "2026-12-01T09:01:00+00:00",
        "last_check_at": "2026-12-01T08:59:57+00:00",
    }
    assert describe_instance(view, NOW) == (
        "ejected until 09:01:00 UTC (2 times)",
        "2",
        "3 s ago, ok",
    )


def test_without_timestamps_the_view_says_what_it_knows() -> None:
    assert describe_instance(UP, NOW) == ("up", "2", "ok")
    assert describe_instance({**UP, "last_check_at": None}, NOW)[2] == "not yet"


def test_several_workers_get_a_row_each_and_a_worker_column() -> None:
    down = {**UP, "healthy": False, "inflight": 0, "last_check_error": "HTTP 503"}
    service = {
        "name": "catalog",
        "instances": [UP["url"]],
        "health": [{"pid": 11, "instances": [UP]}, {"pid": 12, "instances": [down]}],
    }
    assert plain_lines(services_grid([service], NOW))[1:] == [
        "service  instance               worker  state  in flight  last check",
        "catalog  http://127.0.0.1:8101      11  up             2  ok",
        "catalog  http://127.0.0.1:8101      12  down           0  failed: HTTP 503",
    ]


def test_one_balancer_and_an_admin_api_without_a_proxy() -> None:
    services: list[dict[str, object]] = [
        {"name": "catalog", "instances": [UP["url"]], "health": [UP]},
        {"name": "orders", "instances": ["http://127.0.0.1:8102"], "health": None},
    ]
    assert plain_lines(services_grid(services, NOW))[1:] == [
        "service  instance               state    in flight  last check",
        "catalog  http://127.0.0.1:8101  up               2  ok",
        "orders   http://127.0.0.1:8102  unknown          -  no proxy reports to this admin API",
    ]
