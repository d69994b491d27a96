"""The phantom token through both engines (the production engine and the mitmproxy addon),
one table over real sockets, as ``policy/test_both_engines.py`` does for routing.

In front: a stand-in monolith and a stand-in ``catalog`` service that echo the headers they
got (``tests/strangler_proxy/standin.py``), and a stand-in ID provider in this process
(``idp.py``: the monolith's exchange contract, HS256 tokens, calls counted). Both engines
exchange at it (``--identity-exchange``, ``strangler_identity_exchange``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from strangler_proxy.evidence.sample import Sample
from strangler_proxy.evidence.store import default_evidence_url
from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.envelope import error_of
from tests.strangler_proxy.evidence.kept import samples
from tests.strangler_proxy.identity.idp import IdP
from tests.strangler_proxy.mitm.conftest import MITM_BIN, mitmdump
from tests.strangler_proxy.proxy_stack import Running, proxy, route, seed, standin, until

STREAMED = 256 * 1024  # a body both engines stream (the engine buffers <= 64 KiB)
NONE_JWT = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIiwiYXVkIjoiY2F0YWxvZyJ9."


@dataclass(frozen=True)
class Case:
    id: str
    path: str
    headers: dict[str, str]
    status: int
    served_by: str
    sees: str | None = None  # the user whose Bearer the upstream sees; None: no Authorization
    untouched: bool = False  # the upstream sees the client's Authorization and Cookie as sent
    error: str | None = None  # the envelope's code (the monolith's refusal)
    method: str = "GET"
    body: bytes | None = None
    extra: dict[str, str] = field(default_factory=dict)  # more headers the answer carries


CASES = [
    Case("token-to-a-service", "/svc/x", {"authorization": "Token good-ann",
         "cookie": "csrftoken=c; strangler_client=k"}, 200, "catalog", sees="ann"),
    Case("session-to-a-service", "/svc/x", {"cookie": "sessionid=good-bob; csrftoken=c"}, 200,
         "catalog", sees="bob"),
    Case("bearer-is-exchanged-too", "/svc/x", {"authorization": "Bearer good-cat"}, 200,
         "catalog", sees="cat"),
    Case("a-post-to-a-service", "/svc/x", {"authorization": "Token good-ann"}, 200, "catalog",
         sees="ann", method="POST", body=b'{"rating": 5}'),
    Case("a-streamed-post-to-a-service", "/svc/x", {"authorization": "Token good-ann"}, 200,
         "catalog", sees="ann", method="POST", body=b"s" * STREAMED),
    Case("canary-service-share", "/canary/x", {"authorization": "Token good-dan"}, 200,
         "catalog", sees="dan"),
    Case("anonymous-goes-anonymous", "/svc/x", {}, 200, "catalog"),
    Case("the-monolith-sees-what-was-sent", "/plain/x", {"authorization": "Token good-ann",
         "cookie": "sessionid=good-ann"}, 200, "monolith", untouched=True),
    Case("a-stale-session-goes-anonymous", "/svc/x", {"cookie": "sessionid=expired"}, 200,
         "catalog"),
    Case("a-forged-token-is-the-monolith-401", "/svc/x", {"authorization": "Token forged"}, 401,
         "monolith", error="authentication_failed", extra={"www-authenticate": "Token"}),
    Case("an-alg-none-bearer-is-refused", "/svc/x", {"authorization": f"Bearer {NONE_JWT}"}, 401,
         "monolith", error="authentication_failed"),
    Case("a-refused-post-is-not-sent", "/svc/refused", {"authorization": "Token nope"}, 401,
         "monolith", error="authentication_failed", method="POST", body=b"{}"),
]  # fmt: skip


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("identity-both-engines")


@pytest.fixture(scope="module")
def idp() -> Iterator[IdP]:
    with IdP() as running:
        yield running


@pytest.fixture(scope="module")
def stand_ins(var_dir: Path) -> Iterator[dict[str, Running]]:
    with standin("monolith", var_dir) as monolith, standin("catalog", var_dir) as catalog:
        yield {"monolith": monolith, "catalog": catalog}


@pytest.fixture(scope="module")
def store_url(var_dir: Path, stand_ins: dict[str, Running]) -> str:
    url = f"sqlite:///{var_dir / 'flags.sqlite3'}"
    store = open_store(url, create=True)
    seed(
        store,
        {"catalog": [stand_ins["catalog"].url]},
        [
            route("svc", "/svc/{rest:path}", Mode.SERVICE, "catalog"),
            route("canary", "/canary/{rest:path}", Mode.CANARY, "catalog", percent=100),
            route("shadowed", "/shadowed/{rest:path}", Mode.SHADOW, "catalog"),
        ],
    )
    store.close()
    return url


@contextlib.contextmanager
def both(monolith: str, store_url: str, var_dir: Path, exchange: str) -> Iterator[dict[str, str]]:
    """Both engines exchanging at ``exchange``: their base URLs."""
    with (
        proxy(monolith, store_url, var_dir, "--identity-exchange", exchange,
              "--no-auto-rollback", "--health-interval", "3600") as engine,
        mitmdump(MITM_BIN, var_dir, monolith, store_url,
                 "--set", f"strangler_identity_exchange={exchange}",
                 "--set", "stream_large_bodies=64k") as mitm,
    ):  # fmt: skip
        yield {"engine": engine.url, "mitmproxy": mitm.base_url}


@pytest.fixture(scope="module")
def engines(
    stand_ins: dict[str, Running], store_url: str, var_dir: Path, idp: IdP
) -> Iterator[dict[str, str]]:
    with both(stand_ins["monolith"].url, store_url, var_dir, idp.url) as urls:
        yield urls


@pytest.fixture(params=["engine", "mitmproxy"])
def base_url(request: pytest.FixtureRequest, engines: dict[str, str]) -> str:
    return engines[request.param]


@pytest.fixture(autouse=True)
def idp_as_configured(idp: IdP) -> Iterator[None]:
    yield
    idp.lifetime, idp.delay = 300, 0.0


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_both_engines_exchange_alike(base_url: str, case: Case) -> None:
    answer = httpx.request(case.method, base_url + case.path, headers=case.headers,
                           content=case.body, trust_env=False)  # fmt: skip
    assert answer.status_code == case.status, answer.text[:300]
    assert answer.headers["x-strangler-served-by"] == case.served_by
    for name, value in case.extra.items():
        assert answer.headers.get(name) == value
    if case.error is not None:
        error = error_of(answer.content, case.status)
        assert error["code"] == case.error
        assert "set-cookie" not in answer.headers
        return
    seen = answer.json()["headers"]
    if case.untouched:
        assert (seen["authorization"], seen["cookie"]) == (
            case.headers["authorization"], case.headers["cookie"])  # fmt: skip
        return
    assert "cookie" not in seen, seen  # the client's cookies never reach a service
    if case.sees is None:
        assert "authorization" not in seen, seen
        return
    scheme, _, token = seen["authorization"].partition(" ")
    assert scheme == "Bearer"
    claims = IdP.claims(token, audience="catalog")  # the service's own audience
    assert claims["sub"] == case.sees


def _get(url: str, credential: str) -> httpx.Response:
    answer = httpx.get(url, headers={"authorization": credential}, trust_env=False)
    assert answer.status_code == 200, answer.text[:300]
    return answer


def test_one_exchange_per_credential_while_its_token_is_fresh(base_url: str, idp: IdP) -> None:
    credential = f"Token good-many-{base_url[-5:]}"
    tokens = {_get(base_url + "/svc/x", credential).json()["headers"]["authorization"]
              for _ in range(10)}  # fmt: skip
    assert len(tokens) == 1
    assert idp.by_credential[credential, "catalog"] == 1


def test_a_token_is_exchanged_again_before_it_expires(base_url: str, idp: IdP) -> None:
    idp.lifetime = 31  # fresh for 1 s (30 s before it expires)
    credential = f"Token good-short-{base_url[-5:]}"
    _get(base_url + "/svc/x", credential)
    _get(base_url + "/svc/x", credential)
    assert idp.by_credential[credential, "catalog"] == 1  # still fresh

    def exchanged_again() -> bool:
        _get(base_url + "/svc/x", credential)
        return idp.by_credential[credential, "catalog"] == 2

    until(exchanged_again, timeout=5, every=0.2)


def test_concurrent_requests_with_one_credential_make_one_exchange(base_url: str, idp: IdP) -> None:
    idp.delay = 0.5  # every request arrives while the first exchange is under way
    credential = f"Token good-crowd-{base_url[-5:]}"

    async def crowd() -> list[httpx.Response]:
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            return await asyncio.gather(*(
                client.get(base_url + "/svc/x", headers={"authorization": credential})
                for _ in range(8)
            ))  # fmt: skip

    answers = asyncio.run(crowd())
    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.json()["headers"]["authorization"] for a in answers}) == 1
    assert idp.by_credential[credential, "catalog"] == 1


def test_a_shadow_copy_carries_the_services_token(
    base_url: str, stand_ins: dict[str, Running]
) -> None:
    path = f"/shadowed/{base_url[-5:]}"
    answer = httpx.get(base_url + path, headers={"authorization": "Token good-eve"},
                       trust_env=False)  # fmt: skip
    assert answer.json()["headers"]["authorization"] == "Token good-eve"  # the monolith's

    def copy_seen() -> dict[str, str] | None:
        seen = httpx.get(f"{stand_ins['catalog'].url}/_seen", params={"path": path},
                         trust_env=False)  # fmt: skip
        return dict(seen.json()) if seen.status_code == 200 else None

    seen = until(copy_seen)
    scheme, _, token = seen["authorization"].partition(" ")
    assert scheme == "Bearer" and IdP.claims(token, audience="catalog")["sub"] == "eve"
    assert "cookie" not in seen


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def dead_idp(
    stand_ins: dict[str, Running], store_url: str, var_dir: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    """Both engines exchanging at a URL nobody answers."""
    url = f"http://127.0.0.1:{_closed_port()}/api/auth/jwt/exchange/"
    with both(stand_ins["monolith"].url, store_url, var_dir, url) as urls:
        yield url, urls


@pytest.mark.parametrize("engine", ["engine", "mitmproxy"])
def test_a_dead_id_provider_is_a_502_naming_it(
    dead_idp: tuple[str, dict[str, str]], engine: str
) -> None:
    url, urls = dead_idp
    answer = httpx.get(urls[engine] + "/svc/x", headers={"authorization": "Token good-ann"},
                       trust_env=False)  # fmt: skip
    assert answer.status_code == 502
    assert (answer.headers["x-strangler-served-by"], answer.headers["x-strangler-route"]) == (
        "monolith", "svc")  # fmt: skip
    error = error_of(answer.content, 502)
    assert error["code"] == "upstream_refused"
    assert error["message"] == f"upstream monolith at {url} refused the connection"
    assert error["request_id"] == answer.headers["x-request-id"]
    # what needs no exchange still works: an anonymous client, a route of the monolith
    assert httpx.get(urls[engine] + "/svc/x", trust_env=False).status_code == 200
    plain = httpx.get(urls[engine] + "/plain/x", headers={"authorization": "Token good-ann"},
                      trust_env=False)  # fmt: skip
    assert plain.json()["headers"]["authorization"] == "Token good-ann"


def test_a_refused_request_never_reaches_the_service(
    base_url: str, stand_ins: dict[str, Running]
) -> None:
    path = f"/svc/refused-{base_url[-5:]}"
    answer = httpx.post(base_url + path, content=b"{}", headers={"authorization": "Token no"},
                        trust_env=False)  # fmt: skip
    assert answer.status_code == 401
    received = httpx.get(stand_ins["catalog"].url + "/_received", trust_env=False).json()
    assert f"POST {path}" not in received


def test_a_refused_credentials_shadow_copy_is_compared_as_its_refusal(
    base_url: str, store_url: str, stand_ins: dict[str, Running]
) -> None:
    """A shadowed request whose credential the monolith refuses is not sent to the service:
    the comparison's service side is the refusal, what the service's route would answer."""
    path = f"/shadowed/refused-{base_url[-5:]}"
    answer = httpx.get(base_url + path, headers={"authorization": "Token forged"},
                       trust_env=False)  # fmt: skip
    assert answer.json()["served_by"] == "monolith"  # the stand-in monolith checks nothing

    def sample() -> Sample | None:
        kept = samples(default_evidence_url(store_url), "shadowed")
        return next((s for s in kept if s.path == path), None)

    kept = until(sample, timeout=10)
    assert (kept.monolith_status, kept.service_status) == (200, 401)
    received = httpx.get(stand_ins["catalog"].url + "/_received", trust_env=False).json()
    assert f"GET {path}" not in received
