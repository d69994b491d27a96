"""One comparison as evidence: the request that caused it (redacted) and what was found.

Secrets never reach the evidence: ``Authorization``, ``Cookie`` and ``Proxy-Authorization``
headers, and the JSON body fields a route names (``password``, ``card_number``, ...) at any
depth, are replaced by ``[redacted]`` before a sample is made.

>>> headers = redact_headers([("Authorization", "Token abc"), ("Accept", "application/json")])
>>> headers
(('authorization', '[redacted]'), ('accept', 'application/json'))
>>> redact_body(b'{"username": "u", "password": "p", "card": {"number": "4242"}}',
...             frozenset({"password", "number"}))
'{"username":"u","password":"[redacted]","card":{"number":"[redacted]"}}'
>>> redact_body(b"username=u&password=p", SECRET_FIELDS)
'username=u&password=[redacted]'
>>> redact_body(b"\\x89PNG", frozenset())
'<4 bytes, not UTF-8 text>'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

import orjson

from strangler_proxy.compare.diff import Difference

REDACTED: Final = "[redacted]"
#: headers whose values are credentials
SECRET_HEADERS: Final = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})
#: body fields redacted on every route (a route's own list adds to these)
SECRET_FIELDS: Final = frozenset({"password", "token", "card_number", "cvv", "secret"})
#: the request body kept with a sample, at most (the rest is cut and said so)
BODY_KEPT: Final = 4096


@dataclass(frozen=True, slots=True)
class Sample:
    route: str
    at: float  # seconds since the epoch
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]  # redacted
    body: str | None  # redacted, cut to BODY_KEPT
    verdict: str  # match, mismatch, noise, error
    monolith_status: int | None = None
    service_status: int | None = None
    differences: tuple[Difference, ...] = ()
    noise: tuple[str, ...] = ()
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def redact_headers(
    headers: Iterable[tuple[str, str]], secret: frozenset[str] = SECRET_HEADERS
) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name.lower(), REDACTED if name.lower() in secret else value) for name, value in headers
    )


def redact_body(body: bytes, fields: frozenset[str] = SECRET_FIELDS) -> str | None:
    """The body as text for people to read, secrets replaced; None when empty."""
    if not body:
        return None
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(body)} bytes, not UTF-8 text>"
        return _cut(_scrub_form(text, fields))
    return _cut(orjson.dumps(_scrub(document, fields)).decode())


def _scrub(value: Any, fields: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if k in fields else _scrub(v, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, fields) for v in value]
    return value


def _scrub_form(text: str, fields: frozenset[str]) -> str:
    """A form-encoded body (``a=1&password=x``) with its secret fields redacted."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return text
    return urlencode([(k, REDACTED if k in fields else v) for k, v in pairs], safe="[]")


def _cut(text: str) -> str:
    return text if len(text) <= BODY_KEPT else text[:BODY_KEPT] + f"... ({len(text)} chars)"


def sample_json(sample: Sample) -> dict[str, Any]:
    """A sample as the admin API and ``strangler diffs show --json`` give it."""
    return {
        "at": sample.at,
        "method": sample.method,
        "path": sample.path,
        "query": sample.query,
        "headers": [list(h) for h in sample.headers],
        "body": sample.body,
        "verdict": sample.verdict,
        "monolith_status": sample.monolith_status,
        "service_status": sample.service_status,
        "error": sample.error,
        "differences": [
            {"path": d.path, "kind": d.kind.value, "monolith": d.monolith, "service": d.service}
            for d in sample.differences
        ],
        "noise": list(sample.noise),
    }
