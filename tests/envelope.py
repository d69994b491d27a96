"""Check that an answer carries the one error envelope, and read it.

>>> error_of(b'{"error":{"status":404,"code":"not_found","message":"no route x"}}')["code"]
'not_found'
"""

from __future__ import annotations

import json
from typing import Any


def error_of(body: bytes | str | Any, status: int | None = None) -> dict[str, Any]:
    """The inner ``error`` object of an envelope (a response's ``.content`` or parsed JSON);
    AssertionError when ``body`` is not exactly the envelope (or has another ``status``)."""
    doc = json.loads(body) if isinstance(body, bytes | str) else body
    assert isinstance(doc, dict) and set(doc) == {"error"}, f"not the error envelope: {doc!r}"
    error = doc["error"]
    assert isinstance(error, dict), f"not the error envelope: {doc!r}"
    assert {"status", "code", "message"} <= set(error), f"envelope lacks a key: {error!r}"
    assert set(error) <= {"status", "code", "message", "fields", "request_id"}, error
    assert isinstance(error["status"], int) and isinstance(error["message"], str), error
    assert isinstance(error["code"], str) and error["code"], error
    if status is not None:
        assert error["status"] == status, f"envelope says {error['status']}, expected {status}"
    return error
