"""The async runner: sends the planned requests to a real target with httpx.

One :class:`httpx.AsyncClient` (bounded connection pool, ``trust_env=False`` so no proxy
variable reroutes loopback traffic) serves every virtual user. Requests leave on the
open-loop clock of :mod:`~strangler_proxy.traffic.pacing`; each user's requests still run
in order (a checkout waits for the add-to-cart before it), and at most ``concurrency`` are in
flight. At the deadline nothing new leaves; what is still pending gets ``grace`` seconds, then
is cancelled.

For example (tests/strangler_proxy/traffic runs it against the real monolith)::

    summary = asyncio.run(run_traffic(spec))
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from strangler_proxy.traffic.pacing import ticks
from strangler_proxy.traffic.plan import PlannedRequest, Ref, World, plan
from strangler_proxy.traffic.spec import TrafficSpec, demo_username
from strangler_proxy.traffic.stats import (
    ANSWERED,
    CANCELLED,
    FAILED,
    SKIPPED,
    Outcome,
    Summary,
    summarize,
)


class TargetUnusable(RuntimeError):
    """The target did not answer the set-up requests a run starts with as a shop would.

    ``summary`` counts those requests (and their errors), so a report can still show them.
    """

    def __init__(self, message: str, summary: Summary) -> None:
        super().__init__(message)
        self.summary = summary


class Recorder:
    """Every outcome so far; the live view reads :meth:`summary` while the run goes on."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.outcomes: list[Outcome] = []
        self.started = time.monotonic()
        self.finished: float | None = None

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def summary(self) -> Summary:
        return summarize(self.target, self.outcomes, self.elapsed())


# --- pure helpers ------------------------------------------------------------------------


def extract(data: object, path: tuple[str | int, ...]) -> object | None:
    """``data[path[0]][path[1]]...`` or None when any part is missing."""
    for key in path:
        in_list = isinstance(key, int) and isinstance(data, list) and -len(data) <= key < len(data)
        in_dict = isinstance(key, str) and isinstance(data, dict) and key in data
        if not (in_list or in_dict):
            return None
        data = data[key]  # type: ignore[index]
    return data


def resolve(
    request: PlannedRequest, values: Mapping[str, object]
) -> tuple[str, dict[str, object] | None] | None:
    """The concrete path and body, with the user's captured values; None if one is missing."""
    if not request.needs <= values.keys():
        return None
    path = request.path.format_map(values) if "{" in request.path else request.path
    body = None
    if request.body is not None:
        body = {
            key: values[value.name] if isinstance(value, Ref) else value
            for key, value in request.body.items()
        }
    return path, body


def _results(page: object) -> list[dict[str, Any]]:
    """The items of a DRF page that look like records (a dict with an id)."""
    results = extract(page, ("results",))
    if not isinstance(results, list):
        return []
    return [item for item in results if isinstance(item, dict) and "id" in item]


def describe(exc: httpx.HTTPError) -> str:
    detail = str(exc) or exc.__class__.__doc__ or "no detail"
    return f"{type(exc).__name__}: {detail.strip().splitlines()[0]}"


# --- the adapter -------------------------------------------------------------------------


async def _setup_request(
    client: httpx.AsyncClient,
    record: Recorder,
    step: str,
    path: str,
    body: Mapping[str, object] | None = None,
) -> httpx.Response:
    """One set-up request, recorded; no answer at all raises :class:`TargetUnusable`."""
    # built first, so the message names the URL httpx joined (base URL + path), as sent
    request = client.build_request("GET" if body is None else "POST", path, json=body)
    started = time.perf_counter()
    try:
        response = await client.send(request)
    except httpx.HTTPError as exc:
        record.add(Outcome(step, FAILED, error=describe(exc)))
        raise TargetUnusable(
            f"cannot reach {request.url}: {describe(exc)}", record.summary()
        ) from exc
    ok = response.status_code == 200
    error = None if ok else f"{step} answered HTTP {response.status_code}"
    latency = time.perf_counter() - started
    record.add(Outcome(step, ANSWERED, response.status_code, latency, ok, error))
    return response


async def discover_world(client: httpx.AsyncClient, spec: TrafficSpec) -> World:
    """Ask the target what it sells (products, categories, words to search for) and check
    that the last virtual user's demo account exists.

    These requests are the set-up of a run, outside its rate and its summary.
    """
    record = Recorder(spec.base_url)
    found: dict[str, object] = {}
    for step, path in (
        ("discover.products", "/api/catalog/products/?page_size=100"),
        ("discover.categories", "/api/catalog/categories/?page_size=100"),
    ):
        response = await _setup_request(client, record, step, path)
        if response.status_code != 200:
            raise TargetUnusable(
                f"{spec.base_url}{path} answered HTTP {response.status_code}, expected 200 "
                "with the shop's catalogue",
                record.summary(),
            )
        found[step] = _json(response)
    products = _results(found["discover.products"])
    if not products:
        raise TargetUnusable(
            f"{spec.base_url} lists no products: is the shop seeded?", record.summary()
        )
    last_user = demo_username(spec.users - 1)
    login = {"username": last_user, "password": spec.password}
    response = await _setup_request(client, record, "discover.sign_in", "/api/auth/token/", login)
    if response.status_code != 200:
        raise TargetUnusable(
            f"the demo account {last_user} cannot sign in (HTTP {response.status_code}): "
            f"does the target have {spec.users} seeded customers? Ask for fewer with --users "
            "(the tiny seed has 6)",
            record.summary(),
        )
    count = extract(found["discover.products"], ("count",))
    names = " ".join(str(p.get("name", "")) for p in products)
    words = sorted({w.lower().strip(",.-()") for w in names.split() if len(w) >= 4})
    return World(
        product_ids=tuple(int(p["id"]) for p in products),
        category_ids=tuple(int(c["id"]) for c in _results(found["discover.categories"])),
        search_terms=tuple(words[:: max(1, len(words) // 24)]),
        usernames=tuple(demo_username(i) for i in range(spec.users)),
        password=spec.password,
        product_count=count if isinstance(count, int) else len(products),
    )


def new_client(spec: TrafficSpec) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
    )
    return httpx.AsyncClient(
        base_url=spec.base_url, limits=limits, timeout=spec.timeout, trust_env=False
    )


class _Runner:
    def __init__(self, client: httpx.AsyncClient, spec: TrafficSpec, record: Recorder) -> None:
        self.client = client
        self.spec = spec
        self.record = record
        self.slots = asyncio.Semaphore(spec.concurrency)
        self.values: dict[int, dict[str, object]] = {}
        self.last: dict[int, asyncio.Task[None]] = {}

    async def run(self, planned: Iterator[PlannedRequest]) -> None:
        tasks: set[asyncio.Task[None]] = set()
        async for _ in ticks(self.spec.rate, self.spec.duration):
            request = next(planned)
            task = asyncio.create_task(self._in_turn(self.last.get(request.user), request))
            self.last[request.user] = task
            tasks.add(task)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.spec.grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _in_turn(self, previous: asyncio.Task[None] | None, request: PlannedRequest) -> None:
        try:
            if previous is not None:
                await asyncio.wait([previous])
            self.record.add(await self._send(request))
        except asyncio.CancelledError:
            self.record.add(Outcome(request.step, CANCELLED))
            raise

    async def _send(self, request: PlannedRequest) -> Outcome:
        values = self.values.setdefault(request.user, {})
        resolved = resolve(request, values)
        if resolved is None:
            return Outcome(request.step, SKIPPED)
        path, body = resolved
        if request.capture is not None:
            values.pop(request.capture.name, None)  # a failed checkout leaves no order behind
        headers = {"Authorization": f"Token {values['token']}"} if "token" in values else {}
        async with self.slots:
            started = time.perf_counter()
            try:
                response = await self.client.request(
                    request.method, path, json=body, headers=headers
                )
            except httpx.HTTPError as exc:
                return Outcome(request.step, FAILED, error=describe(exc))
            latency = time.perf_counter() - started
        expected = response.status_code in request.expected
        if expected and request.capture is not None and response.is_success:
            value = extract(_json(response), request.capture.path)
            if value is not None:
                values[request.capture.name] = value
        error = None if expected else f"{request.step} answered HTTP {response.status_code}"
        return Outcome(request.step, ANSWERED, response.status_code, latency, expected, error)


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


async def run_traffic(
    spec: TrafficSpec,
    record: Recorder | None = None,
    world: World | None = None,
) -> Summary:
    """Discover the target's catalogue (unless ``world`` is given), then play the users.

    Raises :class:`TargetUnusable` when the discovery gets no usable answer.
    """
    record = record or Recorder(spec.base_url)
    async with new_client(spec) as client:
        world = world or await discover_world(client, spec)
        record.started = time.monotonic()
        await _Runner(client, spec, record).run(plan(world, spec.seed, spec.users))
        # the run lasts its duration even when the last answer came back before the deadline
        record.finished = max(time.monotonic(), record.started + spec.duration)
    return record.summary()
