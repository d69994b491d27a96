"""Admin tokens: parsed once, checked in constant time. No token, no flip.

>>> tokens = AdminTokens.parse("ci:0123456789abcdef,alice:fedcba9876543210")
>>> tokens.who("Bearer fedcba9876543210")
'alice'
>>> tokens.who("Bearer wrong") is None
True
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

MIN_TOKEN_LENGTH = 16
_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}\Z")
TOKEN_ENV = "STRANGLER_ADMIN_TOKEN"  # one token, named "admin" (the CLI sends it)
TOKENS_ENV = "STRANGLER_ADMIN_TOKENS"  # several: "name:token,name:token"


class TokenError(ValueError):
    """The admin token configuration is unusable."""


@dataclass(frozen=True)
class AdminTokens:
    by_name: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if not self.by_name:
            raise TokenError("the admin API needs at least one token (no token, no flip)")
        for name, token in self.by_name.items():
            if not _NAME.match(name):
                raise TokenError(f"bad admin token name {name!r}")
            if len(token) < MIN_TOKEN_LENGTH:
                raise TokenError(
                    f"admin token {name!r} is too short ({len(token)} < {MIN_TOKEN_LENGTH} chars)"
                )

    @classmethod
    def single(cls, token: str, name: str = "admin") -> AdminTokens:
        return cls({name: token.encode()})

    @classmethod
    def parse(cls, text: str) -> AdminTokens:
        """``name:token,name:token``, or one bare token (named ``admin``)."""
        items = [item.strip() for item in text.split(",") if item.strip()]
        if len(items) == 1 and ":" not in items[0]:
            return cls.single(items[0])
        by_name: dict[str, bytes] = {}
        for item in items:
            name, sep, token = item.partition(":")
            if not sep:
                raise TokenError(f"expected name:token, got an entry without ':' ({name[:3]}...)")
            if name in by_name:
                raise TokenError(f"admin token name {name!r} appears twice")
            by_name[name] = token.encode()
        return cls(by_name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> AdminTokens:
        if env.get(TOKENS_ENV):
            return cls.parse(env[TOKENS_ENV])
        if env.get(TOKEN_ENV):
            return cls.single(env[TOKEN_ENV])
        raise TokenError(
            f"the admin API needs a token (no token, no flip): set {TOKEN_ENV} or {TOKENS_ENV}"
        )

    def who(self, authorization: str | None) -> str | None:
        """The token's name for an ``Authorization: Bearer ...`` value, else ``None``.

        Every token is compared (``hmac.compare_digest``), so timing reveals nothing.
        """
        scheme, _, presented = (authorization or "").partition(" ")
        candidate = presented.strip().encode() if scheme.lower() == "bearer" else b""
        found = None
        for name, token in self.by_name.items():
            if hmac.compare_digest(candidate, token) and candidate:
                found = name
        return found
