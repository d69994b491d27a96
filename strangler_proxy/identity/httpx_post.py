"""The exchange's POST for the production engine: httpx, one pooled keep-alive client per
worker (an uncached exchange then costs one request on a warm connection), no proxy
variables, httpx's errors in the policy's words.

>>> import asyncio
>>> async def dead() -> str:
...     post = HttpxPost(connect=0.5, read=0.5)
...     try:
...         await post("http://127.0.0.1:1/api/auth/jwt/exchange/", [], b"{}")
...     except PostFailed as exc:
...         return f"{exc.failure}: {exc}"
...     finally:
...         await post.aclose()
...     return "answered"
>>> asyncio.run(dead())
'refused: connection refused'
"""

from __future__ import annotations

import httpx

from strangler_proxy.identity.credential import Headers
from strangler_proxy.identity.tokens import Answer, PostFailed
from strangler_proxy.policy import Failure


class HttpxPost:
    def __init__(self, *, connect: float, read: float) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(read, connect=connect), trust_env=False
        )

    async def __call__(self, url: str, headers: Headers, body: bytes) -> Answer:
        try:
            answer = await self._client.post(url, headers=list(headers), content=body)
        except httpx.ConnectTimeout as exc:
            raise PostFailed(Failure.CONNECT_TIMEOUT, "not connected in time") from exc
        except httpx.ConnectError as exc:
            raise PostFailed(Failure.REFUSED, "connection refused") from exc
        except httpx.TimeoutException as exc:
            raise PostFailed(Failure.TIMEOUT, "no answer in time") from exc
        except httpx.HTTPError as exc:
            raise PostFailed(Failure.BROKEN, f"{type(exc).__name__}: {exc}") from exc
        return answer.status_code, list(answer.headers.raw), answer.content

    async def aclose(self) -> None:
        await self._client.aclose()


__all__ = ["HttpxPost"]
