"""``POST /internal/events/``: the delivery contract (DESIGN §5).

The deliverer presents ``Authorization: Bearer <EVENTS_TOKEN>``; with the setting unset or
another token every call answers 401 in the envelope. The body is ``{"events": [...]}``;
the answer lists one outcome per event, in order (``applying.apply_batch``). A body that is
not JSON answers 400 ``parse_error``, one without an ``events`` list 400
``validation_error``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from extracted_services.catalog.applying import apply_batch
from extracted_services.catalog.errors import error_body
from extracted_services.catalog.wire import bearer_matches


class EventsInbox(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    def post(self, request: Request) -> Response:
        if not bearer_matches(request.headers.get("Authorization", ""), settings.EVENTS_TOKEN):
            message = (
                "This service has no EVENTS_TOKEN: it accepts no events."
                if not settings.EVENTS_TOKEN
                else "Invalid or missing events token."
            )
            return Response(
                error_body(401, "authentication_failed", message),
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="events"'},
            )
        body = request.data
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            raise exceptions.ValidationError({"events": ["A list of events is required."]})
        return Response({"results": apply_batch(events)})
