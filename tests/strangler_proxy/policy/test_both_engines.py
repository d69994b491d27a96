"""One table of routing, fallback, header and error cases, run against both engines (the
production engine and the mitmproxy addon) over real sockets, so they cannot drift apart.

Both proxies stand in front of one stand-in monolith and read one flag store; the services
are stand-ins too, each failing its own way (``tests/strangler_proxy/standin.py``):

- ``catalog`` answers; ``failing`` answers 503; ``broken`` sends half an answer and hangs
  up; ``slowpoke`` answers after 3 s (both proxies give a service 1 s);
- ``doomed`` answered once (both proxies saw it healthy), then stopped: it refuses;
- ``legacy`` holds an ``https://`` instance written by an older version (registration now
  refuses them): no engine can reach it, so both say ``circuit-open``; so does ``empty``,
  whose instance list a hand-edited store left empty.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from strangler_proxy.routing import CANARY_COOKIE, Mode
from strangler_proxy.store import open_store
from tests.envelope import error_of
from tests.strangler_proxy.mitm.conftest import MITM_BIN, mitmdump
from tests.strangler_proxy.proxy_stack import Running, proxy, route, seed, standin, until

SERVICE_SECONDS = 1  # how long each engine gives a service
STREAMED = 256 * 1024  # a body both engines stream (the engine buffers <= 64 KiB)
SERVICES = {"catalog": "ok", "failing": "fail", "broken": "truncate", "slowpoke": "slow"}


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    status: int
    served_by: str | None  # X-Strangler-Served-By (None: not sent)
    route: str | None = None  # X-Strangler-Route
    fallback: str | None = None  # X-Strangler-Fallback
    error: str | None = None  # the envelope's code, when the proxy answers itself
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    canary_cookie: bool = False  # a new strangler_client cookie on the answer


CASES = [
    Case("unmatched-monolith", "GET", "/plain/x", 200, "monolith"),
    Case("service-answers", "GET", "/svc/x", 200, "catalog", "svc"),
    Case("service-answers-a-post", "POST", "/svc/x", 200, "catalog", "svc", body=b'{"a":1}'),
    Case("get-5xx-falls-back", "GET", "/failing/x", 200, "monolith", "failing", "5xx"),
    Case("post-5xx-is-relayed", "POST", "/failing/x", 503, "failing", "failing", body=b"{}"),
    Case("get-broken-falls-back", "GET", "/broken/x", 200, "monolith", "broken", "broken"),
    Case(
        "post-broken-is-502", "POST", "/broken/x", 502, "broken", "broken",
        error="upstream_failed", body=b"{}",
    ),
    Case("get-timeout-falls-back", "GET", "/slow/x", 200, "monolith", "slow", "timeout"),
    Case(
        "post-timeout-is-504", "POST", "/slow/x", 504, "slowpoke", "slow",
        error="upstream_timeout", body=b"{}",
    ),
    Case("get-refused-falls-back", "GET", "/dead/x", 200, "monolith", "dead", "refused"),
    Case(
        "post-refused-falls-back", "POST", "/dead/x", 200, "monolith", "dead", "refused",
        body=b"{}",
    ),
    Case(
        "streamed-post-refused-falls-back", "POST", "/dead/upload", 200, "monolith", "dead",
        "refused", body=b"s" * STREAMED,
    ),
    Case("https-instance-is-circuit-open", "GET", "/legacy/x", 200, "monolith", "legacy",
         "circuit-open"),
    Case("no-instance-is-circuit-open", "GET", "/empty/x", 200, "monolith", "empty",
         "circuit-open"),
    Case("shadow-answers-from-the-monolith", "GET", "/shadowed/x", 200, "monolith", "shadowed"),
    Case("canary-cookie-for-anonymous", "GET", "/canary/x", 200, "catalog", "canary",
         canary_cookie=True),
    Case(
        "canary-cookie-kept", "GET", "/canary/x", 200, "catalog", "canary",
        headers={"cookie": f"{CANARY_COOKIE}=known-client"},
    ),
    Case(
        "forged-internal-headers-are-dropped", "GET", "/plain/x", 200, "monolith",
        headers={"x-strangler-served-by": "forged", "x-strangler-route": "forged"},
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("both-engines")


@pytest.fixture(scope="module")
def stand_ins(var_dir: Path) -> Iterator[dict[str, Running]]:
    names = ["monolith", *SERVICES, "doomed"]
    with contextlib.ExitStack() as stack:
        procs = {name: stack.enter_context(standin(name, var_dir)) for name in names}
        for name, behaviour in SERVICES.items():
            httpx.post(f"{procs[name].url}/_control/behaviour/{behaviour}", trust_env=False)
        yield procs


@pytest.fixture(scope="module")
def store_url(var_dir: Path, stand_ins: dict[str, Running]) -> str:
    path = var_dir / "flags.sqlite3"
    store = open_store(f"sqlite:///{path}", create=True)
    services = {name: [stand_ins[name].url] for name in [*SERVICES, "doomed"]}
    services["legacy"] = services["empty"] = ["http://127.0.0.1:1"]
    seed(
        store,
        services,
        [
            route("svc", "/svc/{rest:path}", Mode.SERVICE, "catalog"),
            route("failing", "/failing/{rest:path}", Mode.SERVICE, "failing"),
            route("broken", "/broken/{rest:path}", Mode.SERVICE, "broken"),
            route("slow", "/slow/{rest:path}", Mode.SERVICE, "slowpoke"),
            route("dead", "/dead/{rest:path}", Mode.SERVICE, "doomed"),
            route("legacy", "/legacy/{rest:path}", Mode.SERVICE, "legacy"),
            route("empty", "/empty/{rest:path}", Mode.SERVICE, "empty"),
            route("shadowed", "/shadowed/{rest:path}", Mode.SHADOW, "catalog"),
            route("canary", "/canary/{rest:path}", Mode.CANARY, "catalog", percent=100),
        ],
    )
    store.close()
    with sqlite3.connect(path) as db:  # what an older version, or a hand, let through
        db.execute("""UPDATE services SET instances = '["https://127.0.0.1:1"]'
                      WHERE name = 'legacy'""")  # fmt: skip
        db.execute("UPDATE services SET instances = '[]' WHERE name = 'empty'")
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def engines(
    stand_ins: dict[str, Running], store_url: str, var_dir: Path
) -> Iterator[dict[str, str]]:
    """Both engines, each ready: it has routed to ``doomed`` once before ``doomed`` stops."""
    monolith = stand_ins["monolith"].url
    engine_args = ("--read-timeout", str(SERVICE_SECONDS), "--health-interval", "3600")
    mitm_args = (
        "--set", f"strangler_service_timeout_ms={SERVICE_SECONDS * 1000}",
        "--set", "stream_large_bodies=64k",
    )  # fmt: skip
    with (
        proxy(monolith, store_url, var_dir, *engine_args) as engine,
        mitmdump(MITM_BIN, var_dir, monolith, store_url, *mitm_args) as mitm,
    ):
        urls = {"engine": engine.url, "mitmproxy": mitm.base_url}
        for url in urls.values():
            until(functools.partial(_doomed_answers, url))
        stand_ins["doomed"].stop()
        yield urls


def _doomed_answers(base_url: str) -> bool:
    answer = httpx.get(base_url + "/dead/x", trust_env=False)
    return bool(answer.headers.get("x-strangler-served-by") == "doomed")


@pytest.fixture(params=["engine", "mitmproxy"])
def base_url(request: pytest.FixtureRequest, engines: dict[str, str]) -> str:
    return engines[request.param]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_both_engines_answer_alike(base_url: str, case: Case) -> None:
    with httpx.Client(base_url=base_url, trust_env=False, timeout=10) as client:
        answer = client.request(case.method, case.path, content=case.body, headers=case.headers)
    assert answer.status_code == case.status, answer.text[:300]
    said = {k: answer.headers.get(f"x-strangler-{k}") for k in ("served-by", "route", "fallback")}
    assert said == {"served-by": case.served_by, "route": case.route, "fallback": case.fallback}
    request_id = answer.headers["x-request-id"]
    cookies = answer.headers.get_list("set-cookie")
    assert any(c.startswith(f"{CANARY_COOKIE}=") for c in cookies) == case.canary_cookie
    if case.error is not None:
        error = error_of(answer.content, case.status)
        assert (error["code"], error["request_id"]) == (case.error, request_id)
        return
    echoed = answer.json()
    if case.status < 300:  # a stand-in's echo: who answered, and what reached it
        assert echoed["served_by"] == case.served_by
        assert not [h for h in echoed["headers"] if h.startswith("x-strangler-")]
        assert echoed["headers"]["x-request-id"] == request_id
        assert echoed["body_bytes"] == len(case.body or b"")


def test_a_request_id_the_client_sent_is_kept_end_to_end(base_url: str) -> None:
    answer = httpx.get(base_url + "/svc/x", headers={"x-request-id": "req-42"}, trust_env=False)
    assert answer.headers["x-request-id"] == "req-42"
    assert answer.json()["headers"]["x-request-id"] == "req-42"


def test_a_shadowed_request_reaches_the_service_off_the_answer(
    base_url: str, stand_ins: dict[str, Running]
) -> None:
    path = f"/shadowed/{base_url.rsplit(':', 1)[1]}"  # one path per engine

    def copies() -> int:
        received = httpx.get(stand_ins["catalog"].url + "/_received", trust_env=False).json()
        return int(received.get(f"GET {path}", 0))

    answer = httpx.get(base_url + path, trust_env=False)
    assert (answer.status_code, answer.json()["served_by"]) == (200, "monolith")
    until(lambda: copies() == 1)


@pytest.fixture(scope="module")
def orphaned(store_url: str, var_dir: Path) -> Iterator[dict[str, str]]:
    """Both engines in front of a monolith that was up when they started, and then died."""
    with (
        standin("short-lived-monolith", var_dir) as monolith,
        proxy(monolith.url, store_url, var_dir) as engine,
        mitmdump(MITM_BIN, var_dir, monolith.url, store_url) as mitm,
    ):
        monolith.stop()
        yield {"engine": engine.url, "mitmproxy": mitm.base_url}


@pytest.mark.parametrize("engine", ["engine", "mitmproxy"])
def test_a_dead_monolith_is_a_502_in_the_envelope(orphaned: dict[str, str], engine: str) -> None:
    answer = httpx.get(orphaned[engine] + "/plain/x", trust_env=False)
    assert answer.status_code == 502
    assert answer.headers["content-type"] == "application/json"
    error = error_of(answer.content, 502)
    assert (error["code"], error["message"]) == (
        "upstream_refused",
        "upstream refused the connection",
    )


@pytest.mark.parametrize("engine", ["engine", "mitmproxy"])
def test_a_malformed_request_is_a_400_in_the_envelope(engines: dict[str, str], engine: str) -> None:
    host, port = engines[engine].removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /plain/x HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert error_of(body, 400)["message"]


@pytest.mark.parametrize("engine", ["engine", "mitmproxy"])
def test_a_route_moved_to_a_service_works_without_the_monolith(
    orphaned: dict[str, str], engine: str
) -> None:
    answer = httpx.get(orphaned[engine] + "/svc/x", trust_env=False)
    assert (answer.status_code, answer.json()["served_by"]) == (200, "catalog")


@pytest.mark.parametrize("given", [b"caf\xc3\xa9", b"\xe2\x82\xac-1", b"has space", b"x" * 201])
def test_a_malformed_request_id_is_replaced_by_the_proxys_own(base_url: str, given: bytes) -> None:
    answer = httpx.get(base_url + "/svc/x", headers={b"x-request-id": given}, trust_env=False)
    assert answer.status_code == 200
    made = answer.headers["x-request-id"]
    assert made.encode() != given and made == answer.json()["headers"]["x-request-id"]
