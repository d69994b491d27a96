"""The routing headers an answer carries (who served it, the route, the fallback), encoded
once per combination: the combinations are few (routes x answerers x reasons).

>>> encoded = RoutingHeaders(enabled=True)
>>> encoded("catalog", "product-detail", None)[:1]
[(b'x-strangler-served-by', b'catalog')]
>>> RoutingHeaders(enabled=False)("catalog", "product-detail", None)
[]
"""

from __future__ import annotations

from strangler_proxy.engine import wire
from strangler_proxy.policy import routing_headers

UNMATCHED_LABEL = "(unmatched)"
#: encoded lists kept; cleared whole if there are ever more
CACHE = 4096


class RoutingHeaders:
    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._encoded: dict[tuple[str, str, str | None], wire.Headers] = {}

    def __call__(self, served_by: str, label: str, fallback: str | None) -> wire.Headers:
        """``label``: the route's id, or ``UNMATCHED_LABEL``."""
        if not self.enabled:
            return []
        key = (served_by, label, fallback)
        encoded = self._encoded.get(key)
        if encoded is None:
            if len(self._encoded) >= CACHE:
                self._encoded.clear()
            route = None if label == UNMATCHED_LABEL else label
            encoded = self._encoded[key] = [
                (name.encode("ascii"), value.encode("latin-1"))
                for name, value in routing_headers(served_by, route, fallback)
            ]
        return encoded
