"""Active health checks: GET each instance's health path every few seconds (httpx, off the
hot path). ``unhealthy`` failures in a row mark an instance down, one success marks it up.

Only a 2xx answer is a success: a 404 (no health URL there: the wrong port, or a service
that is not the one registered), a redirect or a 5xx are failures, like no answer at all.
An instance no engine can reach (``origin`` None: stored before https or paths were
refused) is not asked: it stays down, with its reason as the last check's error.

>>> [healthy_answer(status) for status in (200, 204, 301, 404, 503)]
[True, True, False, False, False]
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx

from strangler_proxy.balancing.pool import Instance, ServicePools


def healthy_answer(status: int) -> bool:
    """Whether a health URL's answer says the instance is up (a 2xx)."""
    return 200 <= status < 300


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
        # A new connection per check, closed after it: a kept-alive one is closed by servers
        # that keep idle connections about as long as the interval (gunicorn: 2 s), so checks
        # raced the close and failed as often as not (RemoteProtocolError) on a healthy
        # instance; and connecting is part of what a health check should find out.
        self._client = httpx.AsyncClient(
            timeout=timeout,
            trust_env=False,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"Connection": "close"},
        )
        self._misses: dict[int, int] = {}

    async def check(self, instance: Instance) -> None:
        if instance.origin is None:
            return  # never tried (Instance.from_url says why)
        url = f"{instance.origin}{self.path}"
        try:
            response = await self._client.get(url)
            ok, error = healthy_answer(response.status_code), None
            if not ok:
                error = f"HTTP {response.status_code} from {url}"
        except httpx.HTTPError as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"
        misses = 0 if ok else self._misses.get(id(instance), 0) + 1
        self._misses[id(instance)] = misses
        instance.last_check_error = error
        instance.last_check_at = time.time()
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
