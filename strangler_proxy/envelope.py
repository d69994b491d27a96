"""The one error envelope: every error any part of the toolkit sends looks like the
monolith's (``legacy_monolith/common/exceptions.py``), so a client, and the comparison
engine, see one format whichever side answered::

    {"error": {"status": 502, "code": "bad_gateway", "message": "...",
               "fields": {...}, "request_id": "..."}}

``fields`` only for an invalid input (field name -> messages, as DRF's validation errors);
``request_id`` only from the proxy (the id it sent upstream and logged).

>>> error_body(502, "upstream refused", request_id=b"ab-1")
b'{"error":{"status":502,"code":"bad_gateway","message":"upstream refused","request_id":"ab-1"}}'
>>> error_document(400, "bad mode 'x'", fields={"mode": ["bad mode 'x'"]})["error"]["code"]
'validation_error'
>>> error_message(b'{"error":{"status":404,"code":"not_found","message":"no route x"}}')
'no route x'
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

#: the code each status gets when the caller names none (DRF's default codes where it has one)
STATUS_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "throttled",
    431: "request_header_fields_too_large",
    500: "server_error",
    501: "not_implemented",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
    505: "http_version_not_supported",
}


def default_code(status: int) -> str:
    """The snake-case code of ``status``.

    >>> default_code(418)
    'i_m_a_teapot'
    """
    if status in STATUS_CODES:
        return STATUS_CODES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "error"
    return "".join(c if c.isalnum() else "_" for c in phrase.lower()).strip("_")


def error_document(
    status: int,
    message: str,
    *,
    code: str | None = None,
    fields: Mapping[str, Sequence[str]] | None = None,
    request_id: bytes | str | None = None,
) -> dict[str, Any]:
    """The envelope as a JSON-ready dict (``fields`` means a validation error)."""
    if code is None:
        code = "validation_error" if fields else default_code(status)
    error: dict[str, Any] = {"status": status, "code": code, "message": message}
    if fields:
        error["fields"] = {name: list(messages) for name, messages in fields.items()}
    if request_id:
        if isinstance(request_id, bytes):
            request_id = request_id.decode("ascii", "replace")
        error["request_id"] = request_id
    return {"error": error}


def error_body(
    status: int,
    message: str,
    *,
    code: str | None = None,
    fields: Mapping[str, Sequence[str]] | None = None,
    request_id: bytes | str | None = None,
) -> bytes:
    """The envelope as compact JSON bytes."""
    doc = error_document(status, message, code=code, fields=fields, request_id=request_id)
    return json.dumps(doc, separators=(",", ":")).encode()


def error_message(body: bytes | str) -> str | None:
    """The message of an envelope (what a client shows a person); None if ``body`` is not one."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    error = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return None


def error_fields(body: bytes | str) -> dict[str, list[str]]:
    """The ``fields`` of an envelope (empty when it has none or is not one)."""
    try:
        doc = json.loads(body)
        fields = doc["error"]["fields"]
    except (ValueError, KeyError, TypeError):
        return {}
    return fields if isinstance(fields, dict) else {}


__all__ = ["STATUS_CODES", "default_code", "error_body", "error_document", "error_fields",
           "error_message"]  # fmt: skip
