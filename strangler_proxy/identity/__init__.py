"""Identity at the edge (issue 10): the phantom-token exchange, a client's credential for a
short-lived JWT from the monolith (cached), for the requests a service answers.

``credential`` and ``answer`` decide without I/O (which credential, its cache key, the
headers a service gets; what the exchange's answer means); ``tokens.PhantomTokens`` does
the exchange (cache, single flight, failures in the policy's terms) over a ``Post``: the
production engine's pooled client (``engine/identity_post.py``) or ``h11_post`` (mitmproxy
engine, imported by it alone), both naming the request's span as the POST's parent
(``traced``). ``spec`` reads the option that turns it on.
"""

from strangler_proxy.identity.answer import MARGIN, Grant, Refusal
from strangler_proxy.identity.credential import Credential, credential_of, rewrite
from strangler_proxy.identity.spec import DEFAULT_EXCHANGE, exchange_url
from strangler_proxy.identity.tokens import (
    ExchangeFailed,
    IdentityError,
    PhantomTokens,
    Post,
    PostFailed,
    Refused,
)

__all__ = [
    "DEFAULT_EXCHANGE",
    "MARGIN",
    "Credential",
    "ExchangeFailed",
    "Grant",
    "IdentityError",
    "PhantomTokens",
    "Post",
    "PostFailed",
    "Refusal",
    "Refused",
    "credential_of",
    "exchange_url",
    "rewrite",
]
