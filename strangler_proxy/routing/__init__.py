"""The pure routing core: route templates, modes, canary hashing and the route table.

No I/O and no asyncio: engines (the ASGI proxy, the mitmproxy addon), the flag store and
the admin API are adapters around it. See ``table`` for a worked example.
"""

from strangler_proxy.routing.canary import (
    BUCKETS,
    CANARY_COOKIE,
    canary_bucket,
    client_key,
    cookie_client_key,
    in_canary,
    is_anonymous,
)
from strangler_proxy.routing.errors import InvalidFlag
from strangler_proxy.routing.table import (
    MONOLITH,
    SERVICE_NAME,
    UNMATCHED,
    Decision,
    Mode,
    RequestFacts,
    Route,
    RouteTable,
    decision_for,
    parse_mode,
)
from strangler_proxy.routing.template import (
    PathTemplate,
    compile_template,
    django_route_to_template,
)

__all__ = [
    "BUCKETS",
    "CANARY_COOKIE",
    "MONOLITH",
    "SERVICE_NAME",
    "UNMATCHED",
    "Decision",
    "InvalidFlag",
    "Mode",
    "PathTemplate",
    "RequestFacts",
    "Route",
    "RouteTable",
    "canary_bucket",
    "client_key",
    "compile_template",
    "cookie_client_key",
    "decision_for",
    "django_route_to_template",
    "in_canary",
    "is_anonymous",
    "parse_mode",
]
