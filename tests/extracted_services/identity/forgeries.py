"""Every forged or stale token a verifier must refuse, and the honest ones it must accept, as
one table: the services, the monolith's exchange and the proxy all run it.

A ``Forger`` knows what an attacker (or a test) may hold: the genuine signing key read from
the monolith's ``JWT_KEYS_DIR`` (so "expired" or "wrong audience" tokens carry a valid
signature and only the check under test can refuse them), the issuer, the audience the
verifier expects and the subject's claims. Each row makes one token from it::

    for row in REFUSED:
        token = row.make(forger)   # -> "Authorization: Bearer <token>" must answer 401
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

#: beyond any sane leeway (the design's is 30 s)
FAR = 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def kid_of(key: Ed25519PrivateKey) -> str:
    """RFC 7638 thumbprint of the key's public half (as the monolith names its keys)."""
    x = b64url(
        key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    return b64url(hashlib.sha256(members.encode()).digest())


def current_key(keys_dir: Path) -> Ed25519PrivateKey:
    """The monolith's current signing key (its highest-numbered PEM file)."""
    newest = max(keys_dir.glob("*.pem"))
    key = serialization.load_pem_private_key(newest.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey), newest
    return key


@dataclass(frozen=True)
class Forger:
    key: Ed25519PrivateKey
    issuer: str
    audience: str
    other_audience: str
    subject: dict[str, Any] = field(
        default_factory=lambda: {
            "sub": "1",
            "username": "staff",
            "customer_id": None,
            "is_staff": True,
        }
    )

    @property
    def kid(self) -> str:
        return kid_of(self.key)

    def claims(self, shift: int = 0, drop: str = "", **changes: Any) -> dict[str, Any]:
        """Genuine claims issued ``shift`` seconds from now, with ``changes``, less ``drop``."""
        now = int(time.time()) + shift
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            **self.subject,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            **changes,
        }
        return {name: value for name, value in claims.items() if name != drop}

    def sign(self, claims: dict[str, Any], key: Ed25519PrivateKey | None = None) -> str:
        headers = {"kid": self.kid}
        return jwt.encode(claims, key or self.key, algorithm="EdDSA", headers=headers)

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def for_audience(self, audience: str, other_audience: str) -> Forger:
        return replace(self, audience=audience, other_audience=other_audience)


def by_hand(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A JWT assembled without PyJWT (which refuses to HMAC with a public key): HS256 with
    ``secret``, or no signature at all."""
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


@dataclass(frozen=True)
class Row:
    name: str
    make: Callable[[Forger], str]


def _public_jwk_bytes(forger: Forger) -> bytes:
    return forger.key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


REFUSED: tuple[Row, ...] = (
    Row("alg none", lambda f: by_hand({"alg": "none", "kid": f.kid}, f.claims(), None)),
    Row(
        "alg none without kid",
        lambda f: by_hand({"alg": "none", "typ": "JWT"}, f.claims(), None),
    ),
    Row(
        "HS256 signed with the public key PEM",
        lambda f: by_hand({"alg": "HS256", "kid": f.kid}, f.claims(), f.public_pem()),
    ),
    Row(
        "HS256 signed with the raw public key",
        lambda f: by_hand({"alg": "HS256", "kid": f.kid}, f.claims(), _public_jwk_bytes(f)),
    ),
    Row(
        "unknown kid",
        lambda f: jwt.encode(
            f.claims(), (other := Ed25519PrivateKey.generate()), "EdDSA", {"kid": kid_of(other)}
        ),
    ),
    Row("no kid", lambda f: jwt.encode(f.claims(), f.key, algorithm="EdDSA")),
    Row(
        "bad signature: another key under the genuine kid",
        lambda f: f.sign(f.claims(), key=Ed25519PrivateKey.generate()),
    ),
    Row("tampered claims", lambda f: _tampered(f)),
    Row("expired", lambda f: f.sign(f.claims(shift=-FAR))),
    Row("not yet valid (nbf)", lambda f: f.sign(f.claims(nbf=int(time.time()) + FAR))),
    Row("issued in the future (iat)", lambda f: f.sign(f.claims(iat=int(time.time()) + FAR))),
    Row("wrong issuer", lambda f: f.sign(f.claims(iss="someone-else"))),
    Row("wrong audience", lambda f: f.sign(f.claims(aud=f.other_audience))),
    Row("no audience", lambda f: f.sign(f.claims(drop="aud"))),
    Row("no expiry", lambda f: f.sign(f.claims(drop="exp"))),
    Row("no nbf", lambda f: f.sign(f.claims(drop="nbf"))),
    Row("no iat", lambda f: f.sign(f.claims(drop="iat"))),
    Row("no issuer", lambda f: f.sign(f.claims(drop="iss"))),
    Row("no subject", lambda f: f.sign(f.claims(drop="sub"))),
    Row("subject not a user id", lambda f: f.sign(f.claims(sub="admin"))),
    Row("not a JWT", lambda f: "not-a-jwt"),
    Row("garbage segments", lambda f: "a.b.c"),
)

#: the services also need the claims they build their user from
SERVICE_REFUSED: tuple[Row, ...] = (
    *REFUSED,
    Row("no username", lambda f: f.sign(f.claims(drop="username"))),
    Row("no is_staff", lambda f: f.sign(f.claims(drop="is_staff"))),
    Row("customer_id not a number", lambda f: f.sign(f.claims(customer_id="7"))),
)

ACCEPTED: tuple[Row, ...] = (
    Row("genuine", lambda f: f.sign(f.claims())),
    Row("issued 10 s ahead (clock skew)", lambda f: f.sign(f.claims(shift=10))),
    Row("expired 10 s ago (clock skew)", lambda f: f.sign(f.claims(shift=-310))),
)


def _tampered(forger: Forger) -> str:
    """A genuine token whose claims were swapped for a staff claim after signing."""
    header, _, signature = forger.sign(forger.claims(is_staff=False)).split(".")
    claims = b64url(json.dumps(forger.claims(is_staff=True)).encode())
    return f"{header}.{claims}.{signature}"


def ids(rows: tuple[Row, ...]) -> list[str]:
    return [row.name for row in rows]
