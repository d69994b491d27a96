"""How a client proves who it is to the exchange: its DRF token, its session cookie, or a
Bearer JWT this monolith issued to it (``POST /api/auth/jwt/``, audience ``shop``)."""

from __future__ import annotations

import jwt
from django.contrib.auth import get_user_model
from rest_framework import authentication, exceptions

from legacy_monolith.identity import config, tokens


class SessionWithoutCsrf(authentication.SessionAuthentication):
    """The session cookie, without DRF's CSRF check.

    The proxy calls the exchange server to server with the browser's cookie and no CSRF
    token. A cross-site form posting to the exchange gains nothing: the exchange changes no
    state, and the token it answers cannot be read by another origin (no CORS)."""

    def enforce_csrf(self, request):
        return None


class MonolithBearer(authentication.BaseAuthentication):
    """``Authorization: Bearer <jwt>`` with a token this monolith signed for the shop."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid Bearer header: expected one token.")
        try:
            claims = tokens.verify(header[1].decode("ascii"), config.DEFAULT_AUDIENCE)
        except (UnicodeDecodeError, jwt.PyJWTError) as exc:
            raise exceptions.AuthenticationFailed(f"Invalid Bearer token: {exc}") from exc
        if not str(claims["sub"]).isdigit():
            raise exceptions.AuthenticationFailed("Invalid Bearer token: sub is not a user id.")
        user = get_user_model().objects.filter(pk=int(claims["sub"]), is_active=True).first()
        if user is None:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, claims

    def authenticate_header(self, request):
        return f'Bearer realm="{config.issuer()}"'
