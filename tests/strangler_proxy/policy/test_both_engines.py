"""One table of routing, fallback, header and error cases, run against both engines (the
production engine and the mitmproxy addon) over real sockets, so they cannot drift apart.

Both proxies stand in front of one stand-in monolith and read one flag store; the services
are stand-ins too, each failing its own way (``tests/strangler_proxy/standin.py``):

- ``catalog`` answers; ``failing`` answers 503; ``broken`` sends half an answer and hangs
  up; ``slowpoke`` answers after 3 s (both proxies give a service 1 s);
- ``doomed`` answered once (both proxies saw it healthy), then stopped: it refuses;
- ``legacy`` holds an ``https://`` instance written by an older version (registration now
  refuses them): no engine can reach it, so both say ``circuit-open``; so does ``pathed``,
  an instance with a path (``catalog``'s URL + ``/api``: refused now too, it used to get
  ``/api/pathed/x``), and ``empty``, whose instance list a hand-edited store left empty.

The proxy's own errors name the upstream that failed (the service and instance, or the
monolith) and carry the routing headers; ``{catalog}``-style names in a ``message`` are the
stand-ins' URLs. A second table runs with the monolith dead (``DEAD_MONOLITH``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
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
#: the comparison rules both engines read (a shadow route: every copy compared)
RULES = """
[routes.compared]
canary_sample_rate = 1.0
[routes.unsampled]
canary_sample_rate = 0.0
"""


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
    message: str | None = None  # how the envelope's message starts ({name}: a stand-in's URL)


CASES = [
    Case("unmatched-monolith", "GET", "/plain/x", 200, "monolith"),
    Case("service-answers", "GET", "/svc/x", 200, "catalog", "svc"),
    Case("service-answers-a-post", "POST", "/svc/x", 200, "catalog", "svc", body=b'{"a":1}'),
    Case("get-5xx-falls-back", "GET", "/failing/x", 200, "monolith", "failing", "5xx"),
    Case("post-5xx-is-relayed", "POST", "/failing/x", 503, "failing", "failing", body=b"{}"),
    Case("get-broken-falls-back", "GET", "/broken/x", 200, "monolith", "broken", "broken"),
    Case(
        "post-broken-is-502", "POST", "/broken/x", 502, "broken", "broken",
        error="upstream_failed", body=b"{}", message="upstream broken at {broken} failed: ",
    ),
    Case("get-timeout-falls-back", "GET", "/slow/x", 200, "monolith", "slow", "timeout"),
    Case(
        "post-timeout-is-504", "POST", "/slow/x", 504, "slowpoke", "slow",
        error="upstream_timeout", body=b"{}", message="upstream slowpoke at {slowpoke} timed out",
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
    Case("path-instance-is-circuit-open", "GET", "/pathed/x", 200, "monolith", "pathed",
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
    services["legacy"] = services["empty"] = services["pathed"] = ["http://127.0.0.1:1"]
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
            route("pathed", "/pathed/{rest:path}", Mode.SERVICE, "pathed"),
            route("empty", "/empty/{rest:path}", Mode.SERVICE, "empty"),
            route("shadowed", "/shadowed/{rest:path}", Mode.SHADOW, "catalog"),
            replace(
                route("disposable", "/disposable/{rest:path}", Mode.SHADOW, "catalog"),
                shadow_writes=True,
            ),
            route("canary", "/canary/{rest:path}", Mode.CANARY, "catalog", percent=100),
            # every client on the monolith's side: copies go only for comparisons
            route("compared", "/compared/{rest:path}", Mode.CANARY, "catalog", percent=0),
            route("unsampled", "/unsampled/{rest:path}", Mode.CANARY, "catalog", percent=0),
        ],
    )
    store.close()
    with sqlite3.connect(path) as db:  # what an older version, or a hand, let through
        db.execute("""UPDATE services SET instances = '["https://127.0.0.1:1"]'
                      WHERE name = 'legacy'""")  # fmt: skip
        db.execute("UPDATE services SET instances = '[]' WHERE name = 'empty'")
        pathed = json.dumps([stand_ins["catalog"].url + "/api"])
        db.execute("UPDATE services SET instances = ? WHERE name = 'pathed'", (pathed,))
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def engines(
    stand_ins: dict[str, Running], store_url: str, var_dir: Path
) -> Iterator[dict[str, str]]:
    """Both engines, each ready: it has routed to ``doomed`` once before ``doomed`` stops."""
    monolith = stand_ins["monolith"].url
    rules = var_dir / "rules.toml"
    rules.write_text(RULES)
    # --no-auto-rollback: the failing services fail on purpose, case after case; the
    # production engine would (rightly) take their routes back once past its budget
    engine_args = (
        "--read-timeout", str(SERVICE_SECONDS), "--health-interval", "3600", "--rules", str(rules),
        "--no-auto-rollback",
    )  # fmt: skip
    mitm_args = (
        "--set", f"strangler_service_timeout_ms={SERVICE_SECONDS * 1000}",
        "--set", "stream_large_bodies=64k",
        "--set", f"strangler_rules={rules}",
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
def test_both_engines_answer_alike(
    base_url: str, case: Case, stand_ins: dict[str, Running]
) -> None:
    urls = {name: proc.url for name, proc in stand_ins.items() if name != "doomed"}
    check(base_url, case, urls)


def check(base_url: str, case: Case, urls: dict[str, str]) -> None:
    """One case against one engine (``urls``: the stand-ins' URLs, for ``case.message``)."""
    with httpx.Client(base_url=base_url, trust_env=False, timeout=10) as client:
        answer = client.request(case.method, case.path, content=case.body, headers=case.headers)
    assert answer.status_code == case.status, answer.text[:300]
    said = {k: answer.headers.get(f"x-strangler-{k}") for k in ("served-by", "route", "fallback")}
    assert said == {"served-by": case.served_by, "route": case.route, "fallback": case.fallback}
    request_id = answer.headers["x-request-id"]
    if "x-request-id" in case.headers:
        assert request_id == case.headers["x-request-id"]
    cookies = answer.headers.get_list("set-cookie")
    assert any(c.startswith(f"{CANARY_COOKIE}=") for c in cookies) == case.canary_cookie
    if case.error is not None:
        error = error_of(answer.content, case.status)
        assert (error["code"], error["request_id"]) == (case.error, request_id)
        if case.message is not None:
            assert error["message"].startswith(case.message.format(**urls)), error["message"]
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


def test_a_write_on_a_shadow_route_is_not_copied_to_the_service(
    base_url: str, stand_ins: dict[str, Running]
) -> None:
    """A POST the monolith answers must not be written a second time in the service; a GET
    sent after it is copied, and once its copy has arrived the POST's would have too."""
    path = f"/shadowed/writes-{base_url.rsplit(':', 1)[1]}"

    def received() -> dict[str, int]:
        return dict(httpx.get(stand_ins["catalog"].url + "/_received", trust_env=False).json())

    posted = httpx.post(base_url + path, content=b'{"rating": 5}', trust_env=False)
    assert (posted.status_code, posted.json()["served_by"]) == (200, "monolith")
    httpx.get(base_url + path, trust_env=False)
    until(lambda: received().get(f"GET {path}") == 1)
    assert f"POST {path}" not in received()


def test_a_write_is_copied_where_the_route_allows_it(
    base_url: str, stand_ins: dict[str, Running]
) -> None:
    path = f"/disposable/{base_url.rsplit(':', 1)[1]}"

    def copies() -> int:
        received = httpx.get(stand_ins["catalog"].url + "/_received", trust_env=False).json()
        return int(received.get(f"POST {path}", 0))

    posted = httpx.post(base_url + path, content=b'{"rating": 5}', trust_env=False)
    assert (posted.status_code, posted.json()["served_by"]) == (200, "monolith")
    until(lambda: copies() == 1)


def test_a_canary_copies_to_the_service_only_what_it_compares(
    base_url: str, stand_ins: dict[str, Running]
) -> None:
    """On a canary's monolith side a request is copied to the service only when the rules
    sample it for a comparison (``canary_sample_rate``: 1 for ``compared``, 0 for
    ``unsampled``); the copy sent after it has arrived, so the other would have too."""
    port = base_url.rsplit(":", 1)[1]

    def received() -> dict[str, int]:
        return dict(httpx.get(stand_ins["catalog"].url + "/_received", trust_env=False).json())

    for route_id in ("unsampled", "compared"):
        answer = httpx.get(f"{base_url}/{route_id}/{port}", trust_env=False)
        assert (answer.status_code, answer.json()["served_by"]) == (200, "monolith")
    until(lambda: received().get(f"GET /compared/{port}") == 1)
    assert f"GET /unsampled/{port}" not in received()


@pytest.fixture(scope="module")
def orphaned(store_url: str, var_dir: Path) -> Iterator[dict[str, str]]:
    """Both engines in front of a monolith that was up when they started, and then died
    (``monolith``: its URL)."""
    with (
        standin("short-lived-monolith", var_dir) as monolith,
        proxy(monolith.url, store_url, var_dir) as engine,
        mitmdump(MITM_BIN, var_dir, monolith.url, store_url) as mitm,
    ):
        monolith.stop()
        yield {"engine": engine.url, "mitmproxy": mitm.base_url, "monolith": monolith.url}


DEAD = "upstream monolith at {monolith} refused the connection"
#: with the monolith dead: the 502 names it and says which route, and after which fallback
DEAD_MONOLITH = [
    Case("unmatched", "GET", "/plain/x", 502, "monolith", error="upstream_refused",
         message=DEAD),
    Case("after-a-fallback", "GET", "/legacy/x", 502, "monolith", "legacy", "circuit-open",
         error="upstream_refused", message=DEAD),
    Case("a-post-keeps-its-request-id", "POST", "/plain/x", 502, "monolith",
         error="upstream_refused", message=DEAD, body=b"{}", headers={"x-request-id": "req-7"}),
]  # fmt: skip


@pytest.mark.parametrize("engine", ["engine", "mitmproxy"])
@pytest.mark.parametrize("case", DEAD_MONOLITH, ids=[c.id for c in DEAD_MONOLITH])
def test_a_dead_monolith_is_a_502_naming_it(
    orphaned: dict[str, str], engine: str, case: Case
) -> None:
    check(orphaned[engine], case, {"monolith": orphaned["monolith"]})


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
