"""The dashboard at the HTTP level, on the admin app served by a real uvicorn: the login form,
the session cookie, CSRF and Origin refusals, forged cookies, the live feed, traces."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from strangler_proxy.admin import AdminApp, AdminTokens
from strangler_proxy.store import SqliteFlagStore
from tests.envelope import error_of
from tests.strangler_proxy.admin.dashboard.stage import (
    REQUEST_ID,
    ROUTES,
    TRACE_ID,
    demo_trace,
    report,
    span_line,
)
from tests.strangler_proxy.admin.serving import TOKEN, serve

SNAPSHOT = {
    "requests": [["products", "catalog", "2xx", 90], ["products", "catalog", "5xx", 10]],
    "latency": [["products", "catalog", [0, 0, 0, 0, 100] + [0] * 10 + [100, 0.9]]],
}
DOWN = {"url": "http://127.0.0.1:9", "healthy": False, "ejected": True, "ejections": 2}
HEALTH = {"workers": [{"pid": 1, "inflight": 0, "shadow_queue": 0, "health": {"catalog": [DOWN]}}]}
BACKLOG = [{"source": "monolith", "unpublished": 3, "error": None}]
EXCHANGE = "e" * 32
EVENTS = {"stream": "embedded", "messages": 0, "backlog": BACKLOG, "subscribers": []}


@dataclass
class Admin:
    url: str
    store: SqliteFlagStore

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, trust_env=False, headers=headers, timeout=10)


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[Admin]:
    store = SqliteFlagStore(tmp_path / "flags.sqlite3", create=True)
    store.register_service("catalog", ["http://127.0.0.1:9"], actor="setup")
    store.register_service("orders", ["http://127.0.0.1:9"], actor="setup")
    store.upsert_routes(ROUTES, actor="setup", reason="seed")
    (tmp_path / "report.json").write_text(json.dumps(report()))
    (tmp_path / "traces").mkdir()
    now = time.time_ns()
    # the credential exchange the proxy made for that request: its own trace, same request id
    header = {"arrayValue": {"values": [{"stringValue": REQUEST_ID}]}}
    exchange = {
        "traceId": EXCHANGE, "spanId": "ab" * 8, "name": "POST api/auth/jwt/exchange/", "kind": 2,
        "startTimeUnixNano": str(now + 10**6), "endTimeUnixNano": str(now + 3 * 10**6),
        "attributes": [{"key": "http.request.header.x_request_id", "value": header}],
    }  # fmt: skip
    lines = [*demo_trace(now), span_line("legacy-monolith", [exchange])]
    (tmp_path / "traces" / "x-1.jsonl").write_text("\n".join(lines) + "\n")
    app = AdminApp(
        store,
        AdminTokens.parse(f"ci:{TOKEN},ops:another-token-abcdefgh"),
        metrics_snapshot=lambda: SNAPSHOT,
        health_snapshot=lambda: HEALTH,
        events_status=lambda: EVENTS,
        report=tmp_path / "report.json",
        traces_dir=tmp_path / "traces",
    )
    with serve(app) as url:
        yield Admin(url, store)
    store.close()


def log_in(admin: Admin, token: str = TOKEN) -> tuple[httpx.Client, str]:
    """A client holding a session cookie, and the session's CSRF token (from the page)."""
    client = admin.client(origin=admin.url)
    answer = client.post("/dashboard/login", data={"token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
    page = client.get("/dashboard").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    return client, csrf


def test_a_browser_without_a_session_gets_the_login_form_only(admin: Admin) -> None:
    with admin.client(accept="text/html") as anonymous:
        for path in ("/dashboard", "/dashboard/"):
            answer = anonymous.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"] == "/dashboard/login"
            assert answer.content == b""
        form = anonymous.get("/dashboard/login")
        assert form.status_code == 200 and 'name="token"' in form.text
        assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
        for route in ROUTES:
            assert route.id not in form.text and route.template not in form.text
        for path in ("/dashboard/state", "/dashboard/live", "/routes", f"/traces/{TRACE_ID}"):
            refused = anonymous.get(path)
            assert refused.status_code == 401, path
            error_of(refused.content, 401)
        # the page's script and style hold no data: served to anyone (the login form uses them)
        assert anonymous.get("/dashboard/static/dashboard.js").status_code == 200
        error_of(anonymous.get("/dashboard/static/../app.py").content, 404)


def test_login_refuses_a_wrong_token_and_a_foreign_origin(admin: Admin) -> None:
    with admin.client(origin=admin.url) as client:
        wrong = client.post("/dashboard/login", data={"token": "not-the-token-0123456789"})
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        assert error_of(wrong.content, 401)["fields"] == {"token": ["wrong admin token"]}
        as_page = client.post("/dashboard/login", data={"token": "x" * 20},
                              headers={"accept": "text/html"})  # fmt: skip
        assert as_page.status_code == 401 and "wrong admin token" in as_page.text
    with admin.client(origin="http://evil.example") as foreign:
        refused = foreign.post("/dashboard/login", data={"token": TOKEN})
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
        assert "cross-origin" in error_of(refused.content, 403)["message"]
    with admin.client() as no_origin:
        assert no_origin.post("/dashboard/login", data={"token": TOKEN}).status_code == 403


def test_the_session_cookie_csrf_and_origin(admin: Admin) -> None:
    client, csrf = log_in(admin, "another-token-abcdefgh")
    cookie = client.cookies["strangler_session"]
    with contextlib.closing(client):
        login = admin.client(origin=admin.url).post("/dashboard/login", data={"token": TOKEN})
        set_cookie = login.headers["set-cookie"]
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"):
            assert attribute in set_cookie
        assert client.get("/routes").status_code == 200  # reads need no CSRF token
        body = {"mode": "shadow", "reason": "from the dashboard"}
        no_csrf = client.patch("/routes/orders", json=body)
        assert error_of(no_csrf.content, 403)["message"].startswith("missing or wrong X-CSRF")
        wrong = client.patch("/routes/orders", json=body, headers={"x-csrf-token": "x" + csrf})
        error_of(wrong.content, 403)
        evil = {"x-csrf-token": csrf, "origin": "http://evil.example"}
        foreign = client.patch("/routes/orders", json=body, headers=evil)
        assert "cross-origin" in error_of(foreign.content, 403)["message"]
        assert admin.store.get_route("orders").mode.value == "monolith"  # nothing changed

        done = client.patch("/routes/orders", json=body, headers={"x-csrf-token": csrf})
        assert done.status_code == 200 and done.json()["mode"] == "shadow"
        record = admin.store.history("orders", 1)[0]
        assert (record.actor, record.reason) == ("dashboard:ops", "from the dashboard")

        # a forged, a tampered, an unknown-but-well-signed-looking cookie: anonymous
        ident, signature = cookie.split(".")
        for forged in (f"{ident}.{'0' * len(signature)}", f"x{ident[1:]}.{signature}", "abc"):
            with admin.client(cookie=f"strangler_session={forged}", origin=admin.url) as other:
                assert other.get("/routes").status_code == 401
                assert other.get("/dashboard").status_code == 303
                refused = other.patch("/routes/orders", json=body, headers={"x-csrf-token": csrf})
                error_of(refused.content, 401)

        out = client.post("/dashboard/logout", headers={"x-csrf-token": csrf})
        assert out.status_code == 200 and "Max-Age=0" in out.headers["set-cookie"]
        with admin.client(cookie=f"strangler_session={cookie}") as after:
            assert after.get("/routes").status_code == 401  # the session is gone


def test_the_state_and_its_live_feed(admin: Admin) -> None:
    client, csrf = log_in(admin)
    with contextlib.closing(client):
        state = client.get("/dashboard/state").json()
        rows = {r["id"]: r for r in state["routes"]}
        assert rows["product-detail"]["split"] == {"monolith": 70, "service": 30}
        assert rows["reviews"]["gate"]["state"] == "no evidence"
        assert rows["products"]["gate"]["state"] == "promoted"
        assert state["services"][0]["state"] == "down" and state["services"][0]["ejections"] == 2
        assert state["events"]["available"]
        graph = {n["name"]: n for n in state["graph"]["nodes"]}
        assert graph["catalog"]["routes"] == 3 and graph["catalog"]["progress"] == 0.433
        assert graph["orders"]["progress"] == 0.0 and graph["shared"]["progress"] is None

        with client.stream("GET", "/dashboard/live") as live:
            assert live.headers["content-type"].startswith("text/event-stream")
            lines = live.iter_lines()
            first = next_state(lines)
            flipped_at = time.monotonic()
            assert client.patch("/routes/cart", json={"mode": "shadow", "reason": "live"},
                                headers={"x-csrf-token": csrf}).status_code == 200  # fmt: skip
            while True:
                found = next_state(lines)
                if {r["id"]: r["mode"] for r in found["routes"]}["cart"] == "shadow":
                    break
            assert time.monotonic() - flipped_at < 2.0
            assert found["seq"] > first["seq"]
            while found["events"]["loading"]:  # read in its own loop (a broker may be slow)
                found = next_state(lines)
            assert found["events"]["backlog"] == EVENTS["backlog"]

            assert client.post("/dashboard/logout", headers={"x-csrf-token": csrf}).is_success
            logged_out = time.monotonic()
            for _ in lines:  # the server ends the stream once its session is gone
                pass
            assert time.monotonic() - logged_out < 2.5


def next_state(lines: Iterator[str]) -> dict[str, Any]:
    for line in lines:
        if line.startswith("data: "):
            found: dict[str, Any] = json.loads(line[6:])
            return found
    raise AssertionError("the live feed ended")


def test_a_trace_by_request_id_or_trace_id(admin: Admin) -> None:
    with admin.client(authorization=f"Bearer {TOKEN}") as client:
        for key, matches in ((REQUEST_ID, [TRACE_ID, EXCHANGE]), (TRACE_ID, [TRACE_ID]),
                             (TRACE_ID.upper(), [TRACE_ID])):  # fmt: skip
            found = client.get(f"/traces/{key}").json()
            # the request's own trace first, though the exchange's started later
            assert found["trace_id"] == TRACE_ID and found["matches"] == matches
            assert found["services"] == ["strangler-proxy", "catalog", "strangler-relay",
                                         "strangler-deliverer", "legacy-monolith"]  # fmt: skip
            assert [r["depth"] for r in found["rows"]] == [0, 1, 2, 2, 2, 3, 4, 5, 6]
        missing = client.get("/traces/no-such-request")
        assert "no trace found" in error_of(missing.content, 404)["message"]
