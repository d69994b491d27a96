"""Domain errors and the one exception handler that gives every error the same body.

Every error answer looks like::

    {"error": {"status": 409, "code": "out_of_stock", "message": "...", "fields": {...}}}

``fields`` only appears for validation errors.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

log = logging.getLogger("legacy_monolith.errors")


class ShopError(exceptions.APIException):
    """Base of the shop's own business errors."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "shop_error"
    default_detail = "The shop could not do that."


class OutOfStock(ShopError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "out_of_stock"
    default_detail = "Not enough stock."


class PaymentDeclined(ShopError):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_code = "payment_declined"
    default_detail = "The payment was declined."


class EmptyCart(ShopError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "empty_cart"
    default_detail = "The cart is empty."


class Conflict(ShopError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "That is not possible in the current state."


def error_body(status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    error: dict = {"status": status_code, "code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [
            msg if key == "non_field_errors" else f"{key}: {msg}"
            for key, value in detail.items()
            for msg in _flatten(value)
        ]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]


def _fields(detail) -> dict:
    if isinstance(detail, dict):
        return {
            key: [str(m) for m in (value if isinstance(value, list) else [value])]
            if not isinstance(value, dict)
            else _fields(value)
            for key, value in detail.items()
        }
    return {"non_field_errors": [str(m) for m in _flatten(detail)]}


def shop_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error, including unexpected ones, gets the same body."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(exc.detail)
        message = "Invalid input: " + "; ".join(_flatten(exc.detail))
        body = error_body(400, "validation_error", message, fields)
        return Response(body, status=400)

    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        message = " ".join(_flatten(exc.detail))
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        body = error_body(exc.status_code, code, message)
        return Response(body, status=exc.status_code, headers=headers)

    log.exception("unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
    return Response(error_body(500, "server_error", "Internal server error."), status=500)


def not_found_view(request, exception=None):
    """Django's handler404 (URLs no DRF view matched)."""
    message = f"No endpoint at {request.path}."
    return JsonResponse(error_body(404, "not_found", message), status=404)


def server_error_view(request):
    """Django's handler500 (errors outside DRF views)."""
    return JsonResponse(error_body(500, "server_error", "Internal server error."), status=500)


def permission_denied_view(request, exception=None):
    return JsonResponse(error_body(403, "permission_denied", "Permission denied."), status=403)


def bad_request_view(request, exception=None):
    return JsonResponse(error_body(400, "bad_request", "Bad request."), status=400)
