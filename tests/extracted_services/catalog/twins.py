"""The same request to the monolith and to the catalog service, on the same data: a fresh
monolith of its own (these tests write) and the service backfilled from it. Answers are
compared as ``strangler compare`` would after noise: ids of new rows and timestamps aside,
tags as a set; everything else (status, fields, values, error envelopes) must be equal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from strangler_proxy.stack.process import ManagedProcess
from tests.extracted_services.catalog.tokens import Caller

#: what differs between two databases written independently
NOISE = {"id", "created_at", "updated_at", "changed_at"}


def comparable(body: Any) -> Any:
    """The body without its noise (doctested).

    >>> comparable({"id": 3, "tags": ["b", "a"], "results": [{"updated_at": "x", "n": 1}]})
    {'tags': ['a', 'b'], 'results': [{'n': 1}]}
    """
    if isinstance(body, dict):
        return {
            key: sorted(value) if key == "tags" else comparable(value)
            for key, value in body.items()
            if key not in NOISE
        }
    if isinstance(body, list):
        return [comparable(item) for item in body]
    return body


@dataclass(frozen=True)
class Twins:
    monolith: ManagedProcess
    monolith_var: Path
    service: ManagedProcess
    service_var: Path

    def ask(
        self,
        method: str,
        path: str,
        caller: Caller | None = None,
        json: Any = None,
        service_path: str | None = None,
        service_json: Any = None,
    ) -> tuple[httpx.Response, httpx.Response]:
        """One request to each side (``service_path`` and ``service_json`` when an entity's
        id differs there)."""
        m = httpx.request(
            method,
            f"{self.monolith.base_url}{path}",
            json=json,
            headers=caller.monolith if caller else {},
        )
        s = httpx.request(
            method,
            f"{self.service.base_url}{service_path or path}",
            json=json if service_json is None else service_json,
            headers=caller.service if caller else {},
        )
        return m, s

    def same(
        self,
        method: str,
        path: str,
        caller: Caller | None = None,
        json: Any = None,
        service_path: str | None = None,
        service_json: Any = None,
    ) -> tuple[httpx.Response, httpx.Response]:
        """Ask both and require the same answer (after noise)."""
        m, s = self.ask(method, path, caller, json, service_path, service_json)
        assert s.status_code == m.status_code, (m.text, s.text)
        if m.status_code != 204:
            assert comparable(s.json()) == comparable(m.json())
        return m, s
