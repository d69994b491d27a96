"""Admin request bodies, parsed and validated before anything is written (pure).

A percent comes with mode ``canary`` and only with it (a flip to any other mode stores 0).
Each error is an ``InvalidFlag`` naming the offending field, which the API answers as
``400 {"error": {"status": 400, "code": "validation_error", "message": "...",
"fields": {"<field>": ["..."]}}}`` (the toolkit's one envelope).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from strangler_proxy.routing import InvalidFlag, Mode, parse_mode


@dataclass(frozen=True)
class RoutePatch:
    mode: Mode | None
    percent: int | None
    service: str | None
    reason: str
    shadow_writes: bool | None = None  # shadow copies of writes go to the service too
    force: bool = False  # past the promotion gate (audited with the reason)


@dataclass(frozen=True)
class ServiceBody:
    name: str
    urls: tuple[str, ...]
    reason: str


def json_object(body: bytes) -> dict[str, object]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidFlag("body", f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidFlag("body", f"expected a JSON object, got {type(data).__name__}")
    return data


def parse_route_patch(body: bytes) -> RoutePatch:
    data = json_object(body)
    _only(data, {"mode", "percent", "service", "reason", "shadow_writes", "force"})
    mode = data.get("mode")
    percent = data.get("percent")
    service = data.get("service")
    if mode is not None and not isinstance(mode, str):
        raise InvalidFlag("mode", f"must be a string, got {mode!r}")
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int)):
        raise InvalidFlag("percent", f"must be an integer 0..100, got {percent!r}")
    if service is not None and not isinstance(service, str):
        raise InvalidFlag("service", f"must be a string, got {service!r}")
    writes = data.get("shadow_writes")
    if writes is not None and not isinstance(writes, bool):
        raise InvalidFlag("shadow_writes", f"must be true or false, got {writes!r}")
    if mode is None and percent is None and service is None and writes is None:
        raise InvalidFlag("mode", "nothing to change: give mode, percent, service or shadow_writes")
    parsed = None if mode is None else parse_mode(mode)
    reason = _reason(data, required=True)
    force = data.get("force", False)
    if not isinstance(force, bool):
        raise InvalidFlag("force", f"must be true or false, got {force!r}")
    return RoutePatch(parsed, _percent_for(parsed, percent), service, reason, writes, force)


def _percent_for(mode: Mode | None, percent: int | None) -> int | None:
    """Only canary has a share: it must be given with it, and nothing else takes one.

    A flip to another mode stores 0, so a route never keeps a stale share it does not use
    (and a later flip back to canary cannot silently revive it)."""
    if mode is Mode.CANARY:
        if percent is None:
            raise InvalidFlag("percent", "mode canary needs a percent (0..100 of clients)")
        return percent
    if percent is not None:
        told = "no mode" if mode is None else f"mode {mode.value}"
        raise InvalidFlag("percent", f"only mode canary takes a percent (got {told})")
    return None if mode is None else 0


def parse_service_body(body: bytes) -> ServiceBody:
    data = json_object(body)
    _only(data, {"name", "urls", "reason"})
    name, urls = data.get("name"), data.get("urls")
    if not isinstance(name, str):
        raise InvalidFlag("name", f"must be a string, got {name!r}")
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise InvalidFlag("urls", f"must be a list of URL strings, got {urls!r}")
    return ServiceBody(name, tuple(urls), _reason(data, required=False))


def parse_limit(query: dict[str, list[str]], default: int = 100) -> int:
    values = query.get("limit")
    if not values:
        return default
    try:
        limit = int(values[-1])
    except ValueError:
        raise InvalidFlag("limit", f"must be an integer, got {values[-1]!r}") from None
    if not 1 <= limit <= 10_000:
        raise InvalidFlag("limit", f"must be between 1 and 10000, got {limit}")
    return limit


def _only(data: dict[str, object], allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise InvalidFlag(key, f"unknown field (allowed: {', '.join(sorted(allowed))})")


def _reason(data: dict[str, object], *, required: bool) -> str:
    reason = data.get("reason")
    if reason is None and not required:
        return ""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidFlag("reason", "must be a non-empty string (say why)")
    return reason.strip()
