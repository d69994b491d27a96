"""``POST /internal/events/``: the delivery's push endpoint (DESIGN §5).

Deliveries authenticate with ``Authorization: Bearer <EVENTS_TOKEN>`` (compared in constant
time); with ``EVENTS_TOKEN`` unset every call is refused. The body is
``{"events": [event, ...]}``; the answer one result per event, in order (``inbox``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from extracted_services.notifications.inbox import apply_batch


@dataclass(frozen=True)
class Deliverer:
    """The caller holding the events token."""

    is_authenticated: bool = True
    is_anonymous: bool = False


class EventsTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Deliverer, str] | None:
        expected = str(getattr(settings, "EVENTS_TOKEN", "") or "")
        if not expected:
            raise exceptions.AuthenticationFailed(
                "EVENTS_TOKEN is not set on this service: it accepts no events."
            )
        scheme, _, token = get_authorization_header(request).decode("latin-1").partition(" ")
        if not scheme:
            return None
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), expected.encode()
        ):
            raise exceptions.AuthenticationFailed("Invalid events token.")
        return Deliverer(), token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="events"'


class EventsView(APIView):
    authentication_classes = [EventsTokenAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    pagination_class = None

    def post(self, request: Request) -> Response:
        body: Any = request.data
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            raise exceptions.ValidationError(
                {"events": ['Expected a list of events: {"events": [...]}.']}
            )
        return Response({"results": apply_batch(events)})
