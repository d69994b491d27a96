"""Where the proxy exchanges credentials: one option, read once (``--identity-exchange`` of
``strangler proxy run``, ``strangler_identity_exchange`` of the mitmproxy addon).

On by default: the point of the phantom token is that a service never sees a client's
long-lived credential, so turning it off is the decision to make, not turning it on. A path
is on the monolith; ``off`` forwards credentials as they came (a monolith with no exchange).

>>> exchange_url(DEFAULT_EXCHANGE, "http://127.0.0.1:8000")
'http://127.0.0.1:8000/api/auth/jwt/exchange/'
>>> exchange_url("http://127.0.0.1:9000/exchange/", "http://127.0.0.1:8000/") is None
False
>>> exchange_url("off", "http://127.0.0.1:8000") is None
True
>>> exchange_url("ftp://x/", "http://127.0.0.1:8000")
Traceback (most recent call last):
...
ValueError: expected a path on the monolith (/api/...), an http:// URL or 'off', got 'ftp://x/'
"""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_EXCHANGE = "/api/auth/jwt/exchange/"
OFF = ("off", "")


def exchange_url(value: str, monolith_url: str) -> str | None:
    """The exchange's URL (None: off); ValueError saying what is expected."""
    if value.strip().lower() in OFF:
        return None
    if value.startswith("/"):
        return monolith_url.rstrip("/") + value
    parts = urlsplit(value)
    if parts.scheme == "http" and parts.hostname and parts.path.startswith("/"):
        return value
    raise ValueError(
        f"expected a path on the monolith (/api/...), an http:// URL or 'off', got {value!r}"
    )


__all__ = ["DEFAULT_EXCHANGE", "exchange_url"]
