"""``POST /internal/events/``: the deliverer pushes catalog events here (DESIGN section 5).

Authenticated by ``Authorization: Bearer <EVENTS_TOKEN>`` (unset: every call is refused);
every error answer is the shop's one error envelope (``common/exceptions.py``).
"""

from __future__ import annotations

import hmac

from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from extracted_services.chassis import spans
from legacy_monolith.common.exceptions import Conflict
from legacy_monolith.outbox.apply import Unresolved, apply_event
from legacy_monolith.outbox.conf import ORIGIN, events_token
from legacy_monolith.outbox.events import Poison, parse_event


class Deliverer:
    """Who presented the events token: the toolkit's event delivery."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    username = "events-deliverer"


class EventsTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        expected = events_token()
        if expected is None:
            raise exceptions.AuthenticationFailed(
                "EVENTS_TOKEN is not set on the monolith: its event inbox accepts no deliveries."
            )
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise exceptions.AuthenticationFailed("Authorization must be 'Bearer <events token>'.")
        if not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise exceptions.AuthenticationFailed("Invalid events token.")
        return (Deliverer(), token)

    def authenticate_header(self, request):
        return 'Bearer realm="events"'


class EventsInboxView(APIView):
    authentication_classes = [EventsTokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    def post(self, request):
        body = request.data
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            raise exceptions.ValidationError({"events": ['Send {"events": [event, ...]}.']})
        results = []
        for index, raw in enumerate(events):
            given = raw if isinstance(raw, dict) else {}
            event_id = given.get("id")
            # the apply (and its queries) joins the trace of the change that caused the event
            with spans.applying(str(given.get("type")), event_id, given.get("headers")) as span:
                try:
                    results.append({"id": event_id, "outcome": _outcome(raw)})
                except Poison as exc:
                    results.append({"id": event_id, "outcome": "rejected", "reason": str(exc)})
                except Unresolved as exc:
                    spans.outcome(span, "unresolved")
                    raise Conflict(
                        f"Event {index} ({event_id}) cannot apply yet: {exc}. The {index} before "
                        "it are done; deliver the batch again later."
                    ) from exc
                spans.outcome(span, results[-1]["outcome"])
        return Response({"results": results})


def _outcome(raw) -> str:
    if isinstance(raw, dict) and raw.get("origin") == ORIGIN:
        return "ignored"  # our own event coming back: never applied twice
    return apply_event(parse_event(raw))
