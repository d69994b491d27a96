"""Who a request belongs to (``client_key``) and which side of a canary it lands on.

The bucket is a stable hash of (route, client key) in 0..9999, and a client is in the
canary when ``bucket < percent * 100``. So a client stays on one side while the
percentage is unchanged, and raising it only ever moves clients *into* the canary.

>>> canary_bucket("addr:10.0.0.7", "catalog-product-detail") == canary_bucket(
...     "addr:10.0.0.7", "catalog-product-detail")
True
>>> client_key({"cookie": "strangler_client=abc"}, "10.0.0.7")
'cookie:abc'
>>> is_anonymous(client_key({}, "10.0.0.7"))
True
"""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import blake2b

BUCKETS = 10_000
CANARY_COOKIE = "strangler_client"
#: Cookies that identify a logged-in user (Django's session cookie).
SESSION_COOKIES = ("sessionid",)


def canary_bucket(client_key: str, route_id: str) -> int:
    """0..9999, stable across processes and restarts (blake2b, not ``hash()``)."""
    digest = blake2b(f"{route_id}\x00{client_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def in_canary(client_key: str, route_id: str, percent: int) -> bool:
    return canary_bucket(client_key, route_id) < percent * (BUCKETS // 100)


def client_key(headers: Mapping[str, str], client_addr: str | None) -> str:
    """The stickiness key: the authenticated user, else the canary cookie, else the address.

    ``headers`` has lower-case names. Credentials are hashed, never kept verbatim.
    """
    authorization = headers.get("authorization")
    if authorization:
        return "auth:" + _digest(authorization)
    cookies = _cookies(headers.get("cookie", ""))
    for name in SESSION_COOKIES:
        if cookies.get(name):
            return "session:" + _digest(cookies[name])
    if cookies.get(CANARY_COOKIE):
        return cookie_client_key(cookies[CANARY_COOKIE])
    if client_addr:
        return "addr:" + client_addr
    return "anonymous"


def cookie_client_key(client_id: str) -> str:
    """The key of a client known by its canary cookie: what ``client_key`` returns once the
    client sends ``strangler_client=<client_id>`` back."""
    return "cookie:" + client_id


def is_anonymous(client_key: str) -> bool:
    """True for a key that names no user and no cookie (only an address, or nothing): an
    engine gives such a client a canary cookie so it stays on one side."""
    return client_key == "anonymous" or client_key.startswith("addr:")


def _digest(secret: str) -> str:
    return blake2b(secret.encode(), digest_size=12).hexdigest()


def _cookies(header: str) -> dict[str, str]:
    """A forgiving ``Cookie`` header parser (first value of a name wins)."""
    found: dict[str, str] = {}
    if not header:
        return found
    for pair in header.split(";"):
        name, sep, value = pair.partition("=")
        name = name.strip()
        if sep and name and name not in found:
            found[name] = value.strip().strip('"')
    return found
