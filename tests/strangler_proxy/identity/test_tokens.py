"""The exchange adapter against a real (stand-in) ID provider over loopback, with each
engine's HTTP client (its pool for the production engine, h11 for the mitmproxy one): cache,
expiry, single flight, stripping, and every failure translated at the edge."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator

import pytest

from strangler_proxy.engine.identity_post import UpstreamPost
from strangler_proxy.engine.upstream import PooledUpstream, Timeouts
from strangler_proxy.identity import ExchangeFailed, PhantomTokens, Post, Refused
from strangler_proxy.identity.h11_post import H11Post
from tests.envelope import error_of
from tests.strangler_proxy.identity.idp import IdP


class PooledPost(UpstreamPost):
    """The engine's Post with a pool of its own (the engine closes its pool itself)."""

    async def aclose(self) -> None:
        await self._upstream.aclose()


TOKEN = [(b"host", b"shop"), (b"authorization", b"Token good-ann"), (b"cookie", b"csrftoken=x")]
POSTS: dict[str, Callable[[], Post]] = {
    "engine": lambda: PooledPost(PooledUpstream(), Timeouts(1.0, 1.0, 1.0)),
    "h11": lambda: H11Post(connect=1.0, read=1.0),
}


@pytest.fixture(scope="module")
def idp() -> Iterator[IdP]:
    with IdP() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(idp: IdP) -> None:
    idp.reset()
    idp.lifetime, idp.delay = 300, 0.0


@pytest.fixture(params=sorted(POSTS))
def post(request: pytest.FixtureRequest) -> Callable[[], Post]:
    return POSTS[request.param]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run(tokens: PhantomTokens, *calls: tuple[list[tuple[bytes, bytes]], str]) -> list[object]:
    """The headers each call gets (or the exception it raised), the calls made together."""

    async def go() -> list[object]:
        try:
            return await asyncio.gather(
                *(tokens.headers_for(h, a, b"req-1") for h, a in calls), return_exceptions=True
            )
        finally:
            await tokens.aclose()

    return asyncio.run(go())


def bearer(headers: object) -> str:
    assert isinstance(headers, list), headers
    (value,) = [v for n, v in headers if n == b"authorization"]
    assert value.startswith(b"Bearer ")
    return str(value.removeprefix(b"Bearer ").decode())


def test_the_service_gets_a_bearer_for_its_audience_and_no_credential(
    idp: IdP, post: Callable[[], Post]
) -> None:
    (headers,) = run(PhantomTokens(idp.url, post()), (TOKEN, "catalog"))
    assert isinstance(headers, list)
    assert [n for n, _ in headers] == [b"host", b"authorization"]  # no Token, no Cookie
    claims = idp.claims(bearer(headers), audience="catalog")
    assert claims["sub"] == "ann"
    (sent,) = idp.seen
    assert (sent["authorization"], sent["x-request-id"]) == ("Token good-ann", "req-1")
    assert sent["content-type"] == "application/json" and "cookie" not in sent


def test_the_exchange_joins_the_requests_trace(idp: IdP, post: Callable[[], Post]) -> None:
    """Both engines' POST name the current span (the request's, tracing on) as its parent,
    through the single flight's task too; no current span, no ``traceparent``."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    tokens = PhantomTokens(idp.url, post())
    span = TracerProvider().get_tracer("test").start_span("GET svc")

    async def exchanges() -> None:
        try:
            await tokens.headers_for(TOKEN, "catalog")
            with trace.use_span(span, end_on_exit=True):
                await tokens.headers_for(TOKEN, "notifications")
        finally:
            await tokens.aclose()

    asyncio.run(exchanges())
    untraced, traced = idp.seen
    assert "traceparent" not in untraced
    context = span.get_span_context()
    assert traced["traceparent"] == f"00-{context.trace_id:032x}-{context.span_id:016x}-01"


def test_one_exchange_per_credential_and_audience_while_fresh(
    idp: IdP, post: Callable[[], Post]
) -> None:
    tokens = PhantomTokens(idp.url, post())

    async def many() -> list[str]:
        try:
            got = [bearer(await tokens.headers_for(TOKEN, "catalog")) for _ in range(20)]
            got.append(bearer(await tokens.headers_for(TOKEN, "notifications")))
            return got
        finally:
            await tokens.aclose()

    got = asyncio.run(many())
    assert len(set(got[:20])) == 1 and got[20] != got[0]
    assert idp.by_credential == {("Token good-ann", "catalog"): 1,
                                 ("Token good-ann", "notifications"): 1}  # fmt: skip
    assert (tokens.exchanges, tokens.hits) == (2, 19)


def test_a_token_is_exchanged_again_30_seconds_before_it_expires(
    idp: IdP, post: Callable[[], Post]
) -> None:
    idp.lifetime = 100
    clock = Clock()
    tokens = PhantomTokens(idp.url, post(), clock=clock)

    async def at(*moments: float) -> int:
        try:
            for moment in moments:
                clock.now = 1000.0 + moment
                await tokens.headers_for(TOKEN, "catalog")
            return idp.calls
        finally:
            await tokens.aclose()

    assert asyncio.run(at(0, 69.9)) == 1  # fresh until 100 - 30 s
    idp.reset()
    tokens = PhantomTokens(idp.url, post(), clock=clock)
    assert asyncio.run(at(0, 70.0, 70.1)) == 2  # stale at 70 s: one new exchange, cached again


def test_concurrent_requests_with_one_credential_make_one_exchange(
    idp: IdP, post: Callable[[], Post]
) -> None:
    idp.delay = 0.3
    tokens = PhantomTokens(idp.url, post())
    got = run(
        tokens, *[(TOKEN, "catalog")] * 10, ([(b"authorization", b"Token good-bob")], "catalog")
    )
    assert len({bearer(h) for h in got[:10]}) == 1
    assert idp.by_credential == {("Token good-ann", "catalog"): 1, ("Token good-bob", "catalog"): 1}


def test_a_credential_the_monolith_refuses_is_its_401_for_the_client(
    idp: IdP, post: Callable[[], Post]
) -> None:
    forged = [(b"authorization", b"Bearer forged.jwt.token")]
    (refused,) = run(PhantomTokens(idp.url, post()), (forged, "catalog"))
    assert isinstance(refused, Refused)
    answer = refused.refusal
    assert (answer.status, answer.headers) == (401, [(b"www-authenticate", b"Token")])
    assert error_of(answer.body, 401)["code"] == "authentication_failed"


def test_refusals_are_not_cached_and_waiters_share_one(idp: IdP, post: Callable[[], Post]) -> None:
    idp.delay = 0.2
    bad = [(b"authorization", b"Token stolen")]
    got = run(PhantomTokens(idp.url, post()), *[(bad, "catalog")] * 5)
    assert all(isinstance(r, Refused) for r in got) and idp.calls == 1


def test_a_session_the_monolith_does_not_know_goes_on_anonymous(
    idp: IdP, post: Callable[[], Post]
) -> None:
    """Django ignores a session cookie it does not know: so does the proxy (the client is
    anonymous to the service, as it is to the monolith)."""
    stale = [(b"cookie", b"sessionid=expired; strangler_client=c1"), (b"accept", b"*/*")]
    good = [(b"cookie", b"sessionid=good-cat")]
    anonymous, known = run(PhantomTokens(idp.url, post()), (stale, "catalog"), (good, "catalog"))
    assert anonymous == [(b"accept", b"*/*")]
    assert idp.claims(bearer(known))["sub"] == "cat"


def test_no_credential_no_exchange(idp: IdP, post: Callable[[], Post]) -> None:
    anonymous = [(b"host", b"shop"), (b"cookie", b"strangler_client=c1")]
    assert run(PhantomTokens(idp.url, post()), (anonymous, "catalog")) == [anonymous]
    assert idp.calls == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_exchange_is_a_502_naming_it(post: Callable[[], Post]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api/auth/jwt/exchange/"
    (failed,) = run(PhantomTokens(url, post()), (TOKEN, "catalog"))
    assert isinstance(failed, ExchangeFailed)
    verdict = failed.verdict
    assert (verdict.status, verdict.code, verdict.served_by) == (
        502,
        "upstream_refused",
        "monolith",
    )
    assert verdict.message == f"upstream monolith at {url} refused the connection"


def test_a_slow_exchange_is_a_504(idp: IdP, post: Callable[[], Post]) -> None:
    idp.delay = 1.5  # past the 1 s the client gives it
    (failed,) = run(PhantomTokens(idp.url, post()), (TOKEN, "catalog"))
    assert isinstance(failed, ExchangeFailed)
    assert (failed.verdict.status, failed.verdict.code) == (504, "upstream_timeout")


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (404, b"<h1>Not Found</h1>", "it answered HTTP 404, not a token"),
        (200, b'{"ok": true}', "its answer has no access and expires_in"),
        (200, json.dumps({"access": "t", "expires_in": -5}).encode(), "not a positive number"),
    ],
)
def test_an_answer_that_is_no_token_is_a_502(
    status: int, body: bytes, says: str, post: Callable[[], Post]
) -> None:
    """An old monolith without the endpoint (404), or something else on its URL."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.read(100)
        writer.write(b"HTTP/1.1 %d X\r\ncontent-length: %d\r\n\r\n%s" % (status, len(body), body))
        await writer.drain()
        writer.close()

    async def go() -> ExchangeFailed:
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/x/"
        tokens = PhantomTokens(url, post())
        try:
            await tokens.headers_for(TOKEN, "catalog")
        except ExchangeFailed as exc:
            return exc
        finally:
            await tokens.aclose()
            server.close()
        raise AssertionError("no failure")

    failed = asyncio.run(go())
    assert (failed.verdict.status, failed.verdict.code) == (502, "upstream_failed")
    assert says in failed.verdict.message


def test_a_full_cache_lets_the_oldest_go(idp: IdP, post: Callable[[], Post]) -> None:
    tokens = PhantomTokens(idp.url, post(), max_entries=2)

    async def go(*users: str) -> None:
        try:
            for user in users:
                await tokens.headers_for([(b"authorization", f"Token good-{user}".encode())], "c")
        finally:
            await tokens.aclose()

    asyncio.run(go("a", "b", "c", "c", "b", "a"))  # c pushes a out; a comes back, b stays
    assert [idp.by_credential[f"Token good-{u}", "c"] for u in "abc"] == [2, 1, 1]


def test_a_client_going_away_cancels_no_one_elses_exchange(
    idp: IdP, post: Callable[[], Post]
) -> None:
    """The first request's client disconnects while its exchange is under way: the exchange
    goes on (a task of its own) and the request that waits with it gets its token."""
    idp.delay = 0.3
    tokens = PhantomTokens(idp.url, post())

    async def go() -> object:
        try:
            first = asyncio.ensure_future(tokens.headers_for(TOKEN, "catalog"))
            await asyncio.sleep(0.05)
            second = asyncio.ensure_future(tokens.headers_for(TOKEN, "catalog"))
            await asyncio.sleep(0.05)
            first.cancel()
            return await second
        finally:
            await tokens.aclose()

    assert idp.claims(bearer(asyncio.run(go())))["sub"] == "ann"
    assert idp.calls == 1
