"""Stands in for ``identity`` (the JWT verifier) while it is not installed, so the service
still starts: every caller is anonymous (401), and a presented token is refused rather than
trusted unverified. Its own module: DRF imports authentication classes while it loads its
views, so this one must not import them."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request


class NoVerifier(BaseAuthentication):
    def authenticate(self, request: Request) -> None:
        if get_authorization_header(request):
            raise exceptions.AuthenticationFailed("This service cannot verify tokens yet.")
        return None

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"
