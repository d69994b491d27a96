"""Requests from the monolith's own OpenAPI schema (``/api/schema/``): the I/O around
``openapi`` (fetch the schema, then each collection, for the ids its items carry)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx
import orjson

from strangler_proxy.replay.openapi import expand, plan_requests
from strangler_proxy.replay.sources import Request, SourceError

SCHEMA_PATH = "/api/schema/"


async def from_openapi(
    monolith: str,
    headers: Sequence[tuple[str, str]] = (),
    *,
    schema_path: str = SCHEMA_PATH,
    per_template: int = 3,
    timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Request]:
    async with httpx.AsyncClient(
        base_url=monolith, headers=list(headers), timeout=timeout, transport=transport
    ) as client:
        schema = await _json(client, schema_path, "format=json")
        try:
            plan = plan_requests(schema)
        except ValueError as exc:
            raise SourceError(f"{monolith}{schema_path}: {exc}") from exc
        collections = sorted(set(plan.collections().values()))
        answers = await asyncio.gather(*(_json(client, c, None, quiet=True) for c in collections))
    paths = expand(plan, dict(zip(collections, answers, strict=True)), per_template)
    return [Request("GET", path, tuple(headers)) for path in paths]


async def _json(
    client: httpx.AsyncClient, path: str, query: str | None, *, quiet: bool = False
) -> Any:
    url = f"{path}?{query}" if query else path
    try:
        response = await client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise SourceError(f"cannot reach {client.base_url}{url}: {exc!r}") from exc
    if response.status_code != 200:
        if quiet:  # a collection that needs a login or is gone: its templates get no ids
            return None
        raise SourceError(f"{client.base_url}{url} answered {response.status_code}, not a schema")
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        if quiet:
            return None
        raise SourceError(f"{client.base_url}{url} is not JSON: {exc}") from exc
