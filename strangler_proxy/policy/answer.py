"""What the proxy adds to an answer and strips from a request, whichever engine relays it.

Answers say who served them (``X-Strangler-Served-By``), which route matched
(``X-Strangler-Route``) and, after a fallback, why the monolith answered
(``X-Strangler-Fallback``). The proxy's own error answers carry them too: ``Served-By``
names the upstream whose failure the error reports (``monolith`` or the service), or
``proxy`` when the proxy answered without trying one (no instance, a refused request).
Clients may not send ``X-Strangler-*`` headers: they are the proxy's word, so they are
removed from every request before it is routed or forwarded.

>>> routing_headers("monolith", "product-detail", "refused")  # doctest: +NORMALIZE_WHITESPACE
[('x-strangler-served-by', 'monolith'), ('x-strangler-route', 'product-detail'),
 ('x-strangler-fallback', 'refused')]
>>> is_internal("X-Strangler-Served-By"), is_internal("x-request-id")
(True, False)
>>> valid_request_id(b"abc-1"), valid_request_id(b"no spaces")
(True, False)
"""

from __future__ import annotations

import re

SERVED_BY = "x-strangler-served-by"
ROUTE = "x-strangler-route"
FALLBACK = "x-strangler-fallback"
#: ``X-Strangler-Served-By`` of an answer the proxy wrote without trying any upstream
PROXY = "proxy"
INTERNAL_PREFIX = "x-strangler-"
#: an incoming ``X-Request-ID`` kept as it is (else the proxy makes one)
REQUEST_ID_OK = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,200}")


def routing_headers(
    served_by: str, route_id: str | None, fallback: str | None
) -> list[tuple[str, str]]:
    """The headers that say who answered, by which route, and why the monolith stood in."""
    headers = [(SERVED_BY, served_by)]
    if route_id is not None:
        headers.append((ROUTE, route_id))
    if fallback is not None:
        headers.append((FALLBACK, fallback))
    return headers


def is_internal(name: str) -> bool:
    """A header only the proxy may set (a client's copy is removed)."""
    return name.lower().startswith(INTERNAL_PREFIX)


def valid_request_id(value: bytes) -> bool:
    return REQUEST_ID_OK.fullmatch(value) is not None


__all__ = ["FALLBACK", "INTERNAL_PREFIX", "PROXY", "REQUEST_ID_OK", "ROUTE", "SERVED_BY",
           "is_internal", "routing_headers", "valid_request_id"]  # fmt: skip
