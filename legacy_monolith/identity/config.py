"""The ID provider's settings, read from the environment when used (not at import), so a
command, a worker and a test each see the values they were started with.

- ``JWT_KEYS_DIR``: where the signing keys live (default ``<the monolith's var dir>/jwt``);
- ``JWT_ISSUER``: the ``iss`` claim (default ``legacy-monolith``);
- ``JWT_LIFETIME``: seconds a token lives (default 300).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_ISSUER = "legacy-monolith"
DEFAULT_LIFETIME = 300
#: the audience of a token asked for without one: the shop itself (the monolith's clients)
DEFAULT_AUDIENCE = "shop"
#: clock skew tolerated when the monolith verifies a token itself (the exchange)
LEEWAY = 30


def keys_dir() -> Path:
    return Path(os.environ.get("JWT_KEYS_DIR") or Path(settings.VAR_DIR) / "jwt")


def issuer() -> str:
    return os.environ.get("JWT_ISSUER") or DEFAULT_ISSUER


def lifetime() -> int:
    raw = os.environ.get("JWT_LIFETIME") or str(DEFAULT_LIFETIME)
    try:
        seconds = int(raw)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise ImproperlyConfigured(
            f"JWT_LIFETIME must be a positive number of seconds, not {raw!r}"
        )
    return seconds
