"""The phantom-token exchange in the mitmproxy engine (``strangler_proxy.identity`` does the
deciding, caching and single flight; this is mitmproxy's side of it): the exchange built
from the addon's options, a request's headers rewritten for the service it goes to, the
monolith's refusal as the client's answer, and a shadow copy sent once its token is there
(exchanged in a task of its own: off the client's request path).

The exchange's POST goes through h11 (``identity.h11_post``): this environment has no httpx.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from mitmproxy import ctx, exceptions, http
from mitmproxy.proxy.mode_specs import ProxyMode, ReverseMode

from strangler_proxy.identity import ExchangeFailed, PhantomTokens, Refusal, Refused, exchange_url
from strangler_proxy.identity.h11_post import H11Post
from strangler_proxy.mitm.shadow import ShadowPairs

logger = logging.getLogger(__name__)
OPTION = "strangler_identity_exchange"
#: the options the exchange is built from
OPTIONS = {OPTION, "mode", "strangler_service_timeout_ms"}
_COPIES: set[asyncio.Task[None]] = set()  # shadow copies waiting for their token


def from_options(options: Any) -> PhantomTokens | None:
    """The exchange the options ask for (None: off), on the reverse mode's monolith."""
    monolith = next(
        (mode.data for mode in map(ProxyMode.parse, options.mode) if isinstance(mode, ReverseMode)),
        None,
    )
    if monolith is None:
        return None  # not in front of a monolith (no reverse mode): no exchange to ask
    value = getattr(options, OPTION)
    try:
        url = exchange_url(value, monolith)
    except ValueError as exc:
        raise exceptions.OptionsError(f"{OPTION}={value!r}: {exc}") from exc
    if url is None:
        return None
    seconds = options.strangler_service_timeout_ms / 1000
    return PhantomTokens(url, H11Post(connect=seconds, read=seconds))


async def exchange(request: http.Request, tokens: PhantomTokens, audience: str) -> None:
    """``request`` (on its way to ``audience``) with the service's JWT in place of the
    client's credential; ``IdentityError`` when it cannot go."""
    rid = request.headers.get("x-request-id", "").encode("latin-1") or None
    fields = await tokens.headers_for(list(request.headers.fields), audience, rid)
    request.headers = http.Headers(fields)


def refusal(refused: Refusal, request_id: str | None) -> http.Response:
    """The monolith's 401 (its envelope) as the client's answer."""
    response = http.Response.make(refused.status, refused.body, refused.headers)
    response.headers["Content-Type"] = "application/json"
    if request_id is not None:
        response.headers["X-Request-ID"] = request_id
    return response


def replay_when_exchanged(
    copy: http.HTTPFlow, tokens: PhantomTokens, audience: str, pairs: ShadowPairs | None
) -> None:
    """Send the shadow ``copy`` once its credential is exchanged. A credential the monolith
    refuses is not sent on: the refusal is the copy's answer (what the service's route would
    answer), a failed exchange an error (``pairs``: for the comparison, when there is one)."""

    async def send() -> None:
        key = copy.metadata["strangler"]["shadow_of"]
        try:
            await exchange(copy.request, tokens, audience)
        except Refused as exc:
            if pairs is not None:
                refused = exc.refusal
                pairs.service(key, pairs.answer(refused.status, refused.as_text(), refused.body))
            return
        except ExchangeFailed as exc:
            logger.info("strangler: shadow copy to %s not sent: %s", audience, exc)
            if pairs is not None:
                pairs.service(key, f"identity exchange: {exc}")
            return
        ctx.master.commands.call("replay.client", [copy])

    task = asyncio.get_running_loop().create_task(send())
    _COPIES.add(task)
    task.add_done_callback(_COPIES.discard)
