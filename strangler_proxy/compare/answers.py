"""Compare two HTTP answers: status, headers (names case-insensitive) and body.

A JSON body is compared structurally (``diff``), other text line by line, bytes by digest.
Headers that always differ between two servers (Date, Server, the request id, the proxy's
own) never count; Content-Length counts only for answers without bodies (HEAD): elsewhere
the bodies' own comparison says more.

>>> monolith = Answer(200, (("Content-Type", "application/json"), ("Date", "Mon")), b'{"a": 1}')
>>> service = Answer(200, (("content-type", "application/json"), ("date", "Tue")), b'{"a": 2}')
>>> [(d.path, d.kind.value) for d in compare_answers(monolith, service)]
[('$.a', 'changed')]
>>> broken = Answer(200, (("Content-Type", "application/json"),), b'{"a": ')
>>> [(d.path, d.kind.value) for d in compare_answers(monolith, broken)]
[('$', 'invalid')]
>>> compare_answers(Answer(404, (), b""), Answer(200, (), b""))[0]
Difference(path='status', kind=<Kind.CHANGED: 'changed'>, monolith=404, service=200)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

import orjson

from strangler_proxy.compare.diff import LIMIT, Difference, Kind, diff_json
from strangler_proxy.compare.rules import NO_RULES, CompiledRules

#: headers that differ between any two servers and say nothing of the answer
IGNORED_HEADERS: Final = frozenset(
    {
        "date",
        "server",
        "x-request-id",
        "via",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "x-strangler-served-by",
        "x-strangler-route",
        "x-strangler-fallback",
        "set-cookie",  # session and CSRF cookies are new on every answer
        "x-frame-options",
        "vary",
    }
)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


def compare_answers(
    monolith: Answer, service: Answer, rules: CompiledRules | None = None, *, limit: int = LIMIT
) -> list[Difference]:
    compiled = rules or NO_RULES.compile()
    found: list[Difference] = []
    if monolith.status != service.status:
        found.append(Difference("status", Kind.CHANGED, monolith.status, service.status))
    body = _bodies(monolith, service, compiled, limit)
    ignored = IGNORED_HEADERS | compiled.rules.ignore_headers
    if monolith.body or service.body:
        ignored = ignored | {"content-length"}
    found += _headers(monolith, service, ignored)
    return found + body


def _headers(monolith: Answer, service: Answer, ignored: frozenset[str]) -> list[Difference]:
    left = _header_map(monolith)
    right = _header_map(service)
    found = []
    for name in sorted(left.keys() | right.keys()):
        if name in ignored or left.get(name) == right.get(name):
            continue
        kind = (
            Kind.REMOVED if name not in right else Kind.ADDED if name not in left else Kind.CHANGED
        )
        found.append(Difference(f"headers.{name}", kind, left.get(name), right.get(name)))
    return found


def _header_map(answer: Answer) -> dict[str, str]:
    merged: dict[str, list[str]] = {}
    for name, value in answer.headers:
        merged.setdefault(name.lower(), []).append(value)
    return {name: ", ".join(values) for name, values in merged.items()}


def _bodies(
    monolith: Answer, service: Answer, rules: CompiledRules, limit: int
) -> list[Difference]:
    if monolith.body == service.body:
        return []
    if _is_json(monolith) or _is_json(service):
        return _json_bodies(monolith.body, service.body, rules, limit)
    if _is_text(monolith) and _is_text(service):
        return [_text_difference(monolith.body, service.body)]
    return [Difference("body", Kind.CHANGED, _digest(monolith.body), _digest(service.body))]


def _json_bodies(left: bytes, right: bytes, rules: CompiledRules, limit: int) -> list[Difference]:
    parsed: list[Any] = []
    for body in (left, right):
        try:
            parsed.append(orjson.loads(body) if body else None)
        except orjson.JSONDecodeError as exc:
            parsed.append(_Invalid(str(exc), body))
    a, b = parsed
    if isinstance(a, _Invalid) or isinstance(b, _Invalid):
        if isinstance(a, _Invalid) and isinstance(b, _Invalid) and a.body == b.body:
            return []
        return [Difference("$", Kind.INVALID, _shown(a), _shown(b))]
    return diff_json(a, b, rules, limit=limit)


@dataclass(frozen=True, slots=True)
class _Invalid:
    error: str
    body: bytes


def _shown(value: Any) -> Any:
    if isinstance(value, _Invalid):
        text = value.body[:200].decode("utf-8", "replace")
        return f"not JSON ({value.error}): {text}"
    return value


def _is_json(answer: Answer) -> bool:
    kind = (answer.header("content-type") or "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _is_text(answer: Answer) -> bool:
    kind = (answer.header("content-type") or "").split(";")[0].strip().lower()
    return kind.startswith("text/") or kind in {
        "application/xml",
        "application/javascript",
        "application/x-www-form-urlencoded",
    }


def _text_difference(left: bytes, right: bytes) -> Difference:
    """The first line that differs, as ``body:LINE`` (line numbers from 1)."""
    a = left.decode("utf-8", "replace").splitlines()
    b = right.decode("utf-8", "replace").splitlines()
    line = next(
        (n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    if line == len(a) == len(b):  # the same lines: only line endings differ
        return Difference("body", Kind.CHANGED, repr(left[-20:]), repr(right[-20:]))
    kind = (
        Kind.CHANGED
        if line < min(len(a), len(b))
        else Kind.ADDED
        if line >= len(a)
        else Kind.REMOVED
    )
    shown = (a[line] if line < len(a) else None, b[line] if line < len(b) else None)
    return Difference(f"body:{line + 1}", kind, *shown)


def _digest(body: bytes) -> str:
    return f"{len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()[:16]}"
