"""The monolith's one error envelope, ``{"error": {"status", "code", "message", "fields"?}}``,
for every error this service answers (DRF's errors and Django's own 404/500)."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

log = logging.getLogger("extracted_services.catalog.errors")


class Conflict(exceptions.APIException):
    """409 ``conflict``, the monolith's ``common.exceptions.Conflict``."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "That is not possible in the current state."


def error_body(status: int, code: str, message: str, fields: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"status": status, "code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [
            msg if key == "non_field_errors" else f"{key}: {msg}"
            for key, value in detail.items()
            for msg in _flatten(value)
        ]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]


def _fields(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {
            key: _fields(value)
            if isinstance(value, dict)
            else [str(m) for m in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    return {"non_field_errors": [str(m) for m in _flatten(detail)]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: the monolith's bodies, status codes and messages."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        message = "Invalid input: " + "; ".join(_flatten(exc.detail))
        return Response(error_body(400, "validation_error", message, _fields(exc.detail)), 400)
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        body = error_body(exc.status_code, str(code), " ".join(_flatten(exc.detail)))
        return Response(body, status=exc.status_code, headers=headers)
    log.exception("unhandled error", exc_info=exc)
    return Response(error_body(500, "server_error", "Internal server error."), status=500)


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's handler404 (no view matched), worded as the monolith's."""
    body = error_body(404, "not_found", f"No endpoint at {request.path}.")
    return JsonResponse(body, status=404)


def server_error_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body(500, "server_error", "Internal server error."), status=500)


def bad_request_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(400, "bad_request", "Bad request."), status=400)
