"""Active health checks: GET each instance's health path every few seconds (httpx, off the
hot path). ``unhealthy`` failures in a row mark an instance down, one success marks it up."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from strangler_proxy.balancing.pool import Instance, ServicePools


class HealthChecker:
    def __init__(
        self,
        pools: ServicePools,
        *,
        path: str = "/health/",
        interval: float = 2.0,
        timeout: float = 1.0,
        unhealthy: int = 2,
    ) -> None:
        self.pools = pools
        self.path = path
        self.interval = interval
        self.unhealthy = unhealthy
        self._client = httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False)
        self._misses: dict[int, int] = {}

    async def check(self, instance: Instance) -> None:
        try:
            response = await self._client.get(instance.url + self.path)
            ok, error = response.status_code < 500, None
            if not ok:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"
        misses = 0 if ok else self._misses.get(id(instance), 0) + 1
        self._misses[id(instance)] = misses
        instance.last_check_error = error
        if ok:
            instance.healthy = True
        elif misses >= self.unhealthy:
            instance.healthy = False

    async def check_all(self) -> None:
        await asyncio.gather(*(self.check(i) for i in self.pools.instances()))

    async def run(self) -> None:
        """Check forever (cancel the task to stop)."""
        try:
            while True:
                await self.check_all()
                await asyncio.sleep(self.interval)
        finally:
            with contextlib.suppress(Exception):
                await self._client.aclose()
