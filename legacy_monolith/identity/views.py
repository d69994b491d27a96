"""The ID provider's endpoints: the public keys, and the two ways to get a token."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.validators import RegexValidator
from rest_framework import exceptions, permissions, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from legacy_monolith.identity import config, tokens
from legacy_monolith.identity.authentication import MonolithBearer, SessionWithoutCsrf
from legacy_monolith.identity.keys import KeyRing

audience_name = RegexValidator(
    r"^[a-z0-9][a-z0-9._-]{0,63}$",
    "An audience is a service name: lowercase letters, digits, '.', '_' or '-'.",
)


class AudienceSerializer(serializers.Serializer):
    audience = serializers.CharField(
        required=False, default=config.DEFAULT_AUDIENCE, validators=[audience_name]
    )


class CredentialsSerializer(AudienceSerializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class JwksView(APIView):
    """``GET /.well-known/jwks.json``: the public keys that verify the tokens."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    renderer_classes = [JSONRenderer]

    def get(self, request):
        ring = KeyRing(config.keys_dir())
        ring.current()  # the first caller creates the first key
        body = {"keys": [key.public_jwk for key in ring.published()]}
        return Response(body, headers={"Cache-Control": "public, max-age=300"})


class TokenView(APIView):
    """``POST /api/auth/jwt/`` {username, password, audience?}: a token for a new client."""

    authentication_classes: list = []  # a stale credential beside the password is ignored
    permission_classes = [permissions.AllowAny]
    renderer_classes = [JSONRenderer]

    def get_authenticate_header(self, request):
        return f'Bearer realm="{config.issuer()}"'  # so a failed login answers 401, not 403

    def post(self, request):
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid username or password.")
        return Response(tokens.issue(user, data["audience"]))


class ExchangeView(APIView):
    """``POST /api/auth/jwt/exchange/`` {audience}: the caller's own credential (DRF token,
    session cookie or a shop JWT) for a token meant for one service (the phantom token)."""

    authentication_classes = [TokenAuthentication, SessionWithoutCsrf, MonolithBearer]
    permission_classes = [permissions.IsAuthenticated]
    renderer_classes = [JSONRenderer]

    def post(self, request):
        serializer = AudienceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(tokens.issue(request.user, serializer.validated_data["audience"]))
