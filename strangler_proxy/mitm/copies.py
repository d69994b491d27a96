"""Shadow copies of a client's flow and their answers: mitmproxy's side of the shadow
evidence (``shadow.ShadowPairs`` pairs the answers and has them compared).

A copy is a flow of its own, sent through mitmproxy's replay queue (so a flow file written
with ``-w`` holds it beside its client flow): ``metadata["strangler"]`` says its ``role``
(``shadow``: to the service; ``noise``: the monolith asked again) and ``shadow_of``, the
client flow's id.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from mitmproxy import ctx, http

from strangler_proxy.evidence.pairs import PairEvidence
from strangler_proxy.identity import PhantomTokens
from strangler_proxy.mitm.attempt import retarget
from strangler_proxy.mitm.identity import replay_when_exchanged
from strangler_proxy.mitm.shadow import Request, ShadowPairs, Side
from strangler_proxy.registry import InstanceAddress

logger = logging.getLogger(__name__)
SAMPLED = "strangler_sampled"  # flow.metadata: its answer is compared with its copy's
#: copies waiting in mitmproxy's replay queue, at most (as the production engine's queue)
SHADOW_QUEUE = 1000
_DROPPED = itertools.count(1)


def send_copies(
    flow: http.HTTPFlow,
    route: str,
    service: str,
    target: InstanceAddress,
    evidence: PairEvidence | None,
    pairs: ShadowPairs | None,
    *,
    sampled_only: bool = False,
    identity: PhantomTokens | None = None,
    traced: Callable[[http.HTTPFlow], Callable[[str], None]] | None = None,
) -> bool:
    """The service's copy; for a sampled route both answers are kept for the comparison
    (and, for noise, the monolith is asked again). ``sampled_only`` (a canary's monolith
    side): no copy unless it is compared. With ``identity`` the service's copy goes once
    its credential is exchanged. ``traced`` (tracing on) starts the service copy's span and
    gives what ends it with the comparison's verdict. True when a copy is on its way."""
    request = flow.request
    if request.stream:  # its body goes on as it arrives: there is none to copy
        logger.info("strangler: %s %s: streamed, no shadow copy", request.method, route)
        return False
    if ctx.master.commands.call("replay.client.count") >= SHADOW_QUEUE:
        dropped = next(_DROPPED)
        if dropped in (1, 10, 100) or dropped % 1000 == 0:
            logger.warning("strangler: shadow queue full: %d copies dropped so far", dropped)
        return False
    settings = None if evidence is None else evidence.shadowing(route, canary=sampled_only)
    compared = settings is not None and pairs is not None and pairs.has_room()
    if sampled_only and not compared:
        return False
    copy = _copy(flow, "shadow", route, service, target)
    copy.metadata["strangler"]["compared"] = compared
    done = None if traced is None else traced(copy)
    copies = [copy] if identity is None else []
    if compared:
        assert settings is not None and pairs is not None
        headers = text(request.headers.fields)
        context = Request(route, request.method, request.path, headers, request.raw_content)
        flow.metadata[SAMPLED] = True
        if pairs.open(flow.id, context, noise=settings.noise, done=done):
            copies.append(_copy(flow, "noise", route, "monolith", None))
    if identity is not None:
        replay_when_exchanged(copy, identity, service, pairs if compared else None)
    if copies:
        ctx.master.commands.call("replay.client", copies)
    return True


def answer_of(flow: http.HTTPFlow, pairs: ShadowPairs, own: bool = False) -> Side:
    """A flow's answer as compared (the body up to the capture cap), or why there is none
    (``own``: the proxy answered itself)."""
    response = flow.response
    if response is None or own:
        return flow.error.msg if flow.error else "the proxy answered"
    body = None if response.stream else response.raw_content
    return pairs.answer(response.status_code, text(response.headers.fields), body)


def copy_answered(flow: http.HTTPFlow, pairs: ShadowPairs | None) -> None:
    """A copy's answer (the service's, or the monolith's second for noise), or its error."""
    info = flow.metadata.get("strangler") or {}
    if pairs is None or "shadow_of" not in info:
        return
    answered = pairs.service if info.get("role") == "shadow" else pairs.again
    answered(info["shadow_of"], answer_of(flow, pairs))


def _copy(
    flow: http.HTTPFlow, role: str, route: str, served_by: str, target: InstanceAddress | None
) -> http.HTTPFlow:
    """A copy of the client's request (``target`` None: to the monolith, as the flow)."""
    copy = flow.copy()
    if target is not None:
        retarget(copy.request, target)
    copy.metadata["strangler"] = {
        "role": role, "route": route, "served_by": served_by, "shadow_of": flow.id,
    }  # fmt: skip
    return copy


def text(fields: Any) -> tuple[tuple[str, str], ...]:
    """mitmproxy's header fields (bytes pairs) as text."""
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in fields)
