"""Who is calling: the monolith's short-lived JWTs, verified against its published keys.

The proxy exchanges a client's credential for a token meant for this service and sends
``Authorization: Bearer <jwt>``. ``BearerAuthentication`` (DRF) verifies it with PyJWT:
the key is the one the token's ``kid`` names in the JWKS at ``settings.JWKS_URL`` (fetched
once, cached five minutes; an unknown ``kid`` refetches at most once a second, so a
rotation is picked up at once while a flood of made-up kids cannot hammer the monolith),
the algorithm is pinned to EdDSA, and ``exp``, ``iat``, ``nbf``, ``iss``, ``aud`` and
``sub`` are required, checked against ``JWT_ISSUER``, ``JWT_AUDIENCE`` and ``JWT_LEEWAY``.
A token that fails any check: 401 ``authentication_failed`` in the error envelope. No
``Authorization: Bearer`` header: anonymous.

When the JWKS cannot be fetched, the last key set fetched keeps serving (stale-if-error);
if none was ever fetched, the answer is 503 ``service_unavailable`` with ``Retry-After``:
the token may well be genuine, so a 401 would wrongly tell the client to drop its
credential, and the outage is the server's, temporary, and worth retrying (never a 500).

A separate copy lives in each service (services share no code).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import jwt
from django.conf import settings
from rest_framework import authentication, exceptions, status
from rest_framework.request import Request

SERVICE = "notifications"
ALGORITHMS = ["EdDSA"]
REQUIRED = ["exp", "iat", "nbf", "iss", "aud", "sub"]

log = logging.getLogger(f"extracted_services.{SERVICE}.identity")


@dataclass(frozen=True)
class ServiceUser:
    """The caller, as the monolith vouched for it (no database row here)."""

    id: int
    username: str
    customer_id: int | None
    is_staff: bool
    claims: dict[str, Any] = field(repr=False, compare=False)
    is_authenticated = True
    is_anonymous = False

    @property
    def pk(self) -> int:  # what DRF's user throttles and Django's helpers read
        return self.id

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> ServiceUser:
        """The user the claims describe, or ``ValueError`` naming what is missing or wrong."""
        sub, customer_id = claims.get("sub"), claims.get("customer_id", ...)
        if not isinstance(sub, str) or not sub.isdigit():
            raise ValueError("sub must be a user id")
        if not isinstance(claims.get("username"), str):
            raise ValueError("username missing")
        if not isinstance(claims.get("is_staff"), bool):
            raise ValueError("is_staff missing")
        if customer_id is not None and type(customer_id) is not int:
            raise ValueError("customer_id must be a number or null")
        return cls(int(sub), claims["username"], customer_id, claims["is_staff"], claims)


class KeysUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = (
        "The token cannot be verified right now: the identity provider's keys are "
        "unreachable. Try again shortly."
    )
    wait = 5  # the error handlers turn it into Retry-After


class _JwksUnreachable(Exception):
    pass


class _JwksClient(jwt.PyJWKClient):
    """PyJWKClient serving the last key set it fetched while the endpoint is down."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri, lifespan=300, timeout=5, cooldown_duration=1)
        self._last_good: dict[str, Any] | None = None

    def fetch_data(self) -> Any:
        try:
            data = super().fetch_data()
        except (jwt.PyJWKClientError, ValueError) as exc:  # ValueError: the body is not JSON
            log.warning("cannot fetch the JWKS at %s: %s", self.uri, exc)
            if self._last_good is None:
                raise _JwksUnreachable(f"{self.uri}: {exc}") from exc
            return self._last_good
        self._last_good = data
        return data


_clients: dict[str, _JwksClient] = {}
_clients_lock = threading.Lock()


def _client() -> _JwksClient:
    """One client (and key cache) per JWKS URL in this process, shared by its threads."""
    with _clients_lock:
        url = settings.JWKS_URL
        if url not in _clients:
            _clients[url] = _JwksClient(url)
        return _clients[url]


def verify(token: str) -> dict[str, Any]:
    """The token's claims, or ``AuthenticationFailed`` saying which check refused it."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in ALGORITHMS:  # before any network: alg none, HS256, ...
            raise jwt.InvalidAlgorithmError(f"the algorithm must be {ALGORITHMS[0]}")
        if not isinstance(header.get("kid"), str):
            raise jwt.InvalidKeyError("the token names no key (kid)")
        key = _client().get_signing_key(header["kid"])
        return jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            audience=getattr(settings, "JWT_AUDIENCE", SERVICE),
            issuer=settings.JWT_ISSUER,
            leeway=getattr(settings, "JWT_LEEWAY", 30),
            options={"require": REQUIRED},
        )
    except (_JwksUnreachable, jwt.PyJWKSetError) as exc:  # unreachable, or no usable key
        log.error("cannot verify a token: no key set from %s (%s)", settings.JWKS_URL, exc)
        raise KeysUnavailable() from exc
    except jwt.PyJWKClientError as exc:  # no published key has that kid
        raise exceptions.AuthenticationFailed("Invalid token: its key (kid) is unknown.") from exc
    except jwt.PyJWTError as exc:
        raise exceptions.AuthenticationFailed(f"Invalid token: {exc}.") from exc


class BearerAuthentication(authentication.BaseAuthentication):
    """DRF authentication by ``Authorization: Bearer <jwt>``; sets a ``ServiceUser``."""

    def authenticate(self, request: Request) -> tuple[ServiceUser, dict[str, Any]] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Bearer header: expected one token.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid Bearer header: not ASCII.") from exc
        claims = verify(token)
        try:
            return ServiceUser.from_claims(claims), claims
        except ValueError as exc:
            raise exceptions.AuthenticationFailed(f"Invalid token: {exc}.") from exc

    def authenticate_header(self, request: Request) -> str:
        """Makes DRF answer 401 (not 403) when authentication fails."""
        return f'Bearer realm="{SERVICE}"'
