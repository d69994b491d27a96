"""The routing policy both engines follow, sans I/O: who answers a request (``plan``),
what to do with a service's attempt (``judge``, ``unavailable``), which headers an answer
carries (``answer``) and, through ``strangler_proxy.envelope``, which error body.

The production engine (``engine/app.py``) and the mitmproxy addon (``mitm/addon.py``) only
do the I/O around these decisions, and one table of cases runs against both over real
sockets (``tests/strangler_proxy/policy/test_both_engines.py``), so they cannot drift apart.
"""

from strangler_proxy.policy.answer import (
    FALLBACK,
    INTERNAL_PREFIX,
    PROXY,
    ROUTE,
    SERVED_BY,
    is_internal,
    routing_headers,
    valid_request_id,
)
from strangler_proxy.policy.plan import (
    CANARY_COOKIE_ATTRIBUTES,
    Plan,
    Who,
    canary_cookie,
    new_client_id,
    plan,
)
from strangler_proxy.policy.verdict import (
    RELAY,
    SAFE_METHODS,
    Action,
    Attempt,
    Failure,
    Tried,
    Verdict,
    judge,
    repeatable,
    unavailable,
)

__all__ = [
    "CANARY_COOKIE_ATTRIBUTES",
    "FALLBACK",
    "INTERNAL_PREFIX",
    "PROXY",
    "RELAY",
    "ROUTE",
    "SAFE_METHODS",
    "SERVED_BY",
    "Action",
    "Attempt",
    "Failure",
    "Plan",
    "Tried",
    "Verdict",
    "Who",
    "canary_cookie",
    "is_internal",
    "judge",
    "new_client_id",
    "plan",
    "repeatable",
    "routing_headers",
    "unavailable",
    "valid_request_id",
]
