"""Issuing the short-lived JWTs (EdDSA, ``kid`` in the header) and verifying the monolith's
own (the exchange accepts a client's Bearer token for the ``shop`` audience).

The claims, as every service reads them (DESIGN §6): ``iss``, ``aud``, ``sub`` (the user id
as a string), ``username``, ``customer_id`` (int or null), ``is_staff``, ``iat``, ``nbf``
(= ``iat``), ``exp`` and ``jti``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from legacy_monolith.customers.models import Customer
from legacy_monolith.identity import config
from legacy_monolith.identity.keys import KeyRing

ALGORITHM = "EdDSA"
REQUIRED = ["exp", "iat", "nbf", "iss", "aud", "sub"]


def claims_for(
    user: Any,
    audience: str,
    *,
    customer_id: int | None,
    issuer: str,
    lifetime: int,
    now: int,
) -> dict[str, Any]:
    return {
        "iss": issuer,
        "aud": audience,
        "sub": str(user.pk),
        "username": user.get_username(),
        "customer_id": customer_id,
        "is_staff": bool(user.is_staff),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }


def issue(user: Any, audience: str) -> dict[str, Any]:
    """The answer of both token endpoints: ``{access, expires_in, token_type}``."""
    lifetime = config.lifetime()
    customer_id = Customer.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
    claims = claims_for(
        user,
        audience,
        customer_id=customer_id,
        issuer=config.issuer(),
        lifetime=lifetime,
        now=int(time.time()),
    )
    key = KeyRing(config.keys_dir()).current()
    access = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
    return {"access": access, "expires_in": lifetime, "token_type": "Bearer"}


def verify(token: str, audience: str) -> dict[str, Any]:
    """The claims of a token this monolith signed for ``audience``.

    Raises ``jwt.PyJWTError`` (with a message fit for the client) otherwise: the
    algorithm is pinned and the key is looked up by ``kid`` among the published ones only.
    """
    header = jwt.get_unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise jwt.InvalidAlgorithmError(f"The token's algorithm must be {ALGORITHM}.")
    key = KeyRing(config.keys_dir()).find(str(header.get("kid")))
    if key is None:
        raise jwt.InvalidKeyError("The token's key (kid) is not one of the published keys.")
    return jwt.decode(
        token,
        key.private_key.public_key(),
        algorithms=[ALGORITHM],
        audience=audience,
        issuer=config.issuer(),
        leeway=config.LEEWAY,
        options={"require": REQUIRED},
    )
