"""Where replayed requests come from: a YAML list, a HAR file (pure: text in, requests out).

A YAML file lists requests as ``METHOD /path`` strings or as mappings:

>>> requests = from_yaml('''
... requests:
...   - GET /api/catalog/products/1/
...   - method: POST
...     path: /api/cart/items/
...     headers: {Authorization: Token abc}
...     json: {product: 1, quantity: 2}
... ''')
>>> [(r.method, r.path) for r in requests]
[('GET', '/api/catalog/products/1/'), ('POST', '/api/cart/items/')]
>>> requests[1].body, dict(requests[1].headers)["content-type"]
(b'{"product":1,"quantity":2}', 'application/json')
>>> from_yaml("requests:\\n  - FETCH /x")
Traceback (most recent call last):
...
strangler_proxy.replay.sources.SourceError: requests[0]: 'FETCH /x' is not 'METHOD /path'
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

import orjson
import yaml

_LINE = re.compile(r"^(GET|HEAD|OPTIONS|POST|PUT|PATCH|DELETE)\s+(/\S*)$")
#: hop-by-hop and per-connection headers a replay must not copy from a recording
_DROPPED = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "proxy-connection",
        "accept-encoding",
    }
)


class SourceError(ValueError):
    """A request file that cannot be read; the message says where (``requests[3].json``)."""


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # with its query string
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


def from_yaml(text: str) -> list[Request]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourceError(f"not YAML: {exc}") from exc
    items = document.get("requests") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise SourceError("expected a mapping with a 'requests' list")
    return [_yaml_request(item, f"requests[{n}]") for n, item in enumerate(items)]


def _yaml_request(item: Any, where: str) -> Request:
    if isinstance(item, str):
        match = _LINE.match(item.strip())
        if match is None:
            raise SourceError(f"{where}: {item!r} is not 'METHOD /path'")
        return Request(match.group(1), match.group(2))
    if not isinstance(item, dict):
        raise SourceError(f"{where}: expected 'METHOD /path' or a mapping")
    unknown = set(item) - {"method", "path", "headers", "json", "body"}
    if unknown:
        raise SourceError(
            f"{where}.{sorted(unknown)[0]}: unknown key (method, path, headers, json, body)"
        )
    method = str(item.get("method", "GET")).upper()
    path = item.get("path")
    if not _LINE.match(f"{method} {path}"):
        raise SourceError(f"{where}: needs a method and a path starting with /")
    headers = item.get("headers") or {}
    if not isinstance(headers, dict):
        raise SourceError(f"{where}.headers: expected a mapping")
    pairs = [(str(k).lower(), str(v)) for k, v in headers.items()]
    if "json" in item and "body" in item:
        raise SourceError(f"{where}: json or body, not both")
    body = b""
    if "json" in item:
        body = orjson.dumps(item["json"])
        if not any(k == "content-type" for k, _ in pairs):
            pairs.append(("content-type", "application/json"))
    elif "body" in item:
        body = str(item["body"]).encode()
    return Request(method, str(path), tuple(pairs), body)


def from_har(text: str) -> list[Request]:
    """Requests of a HAR 1.2 file (browsers' and mitmproxy's export), in order."""
    try:
        entries = json.loads(text)["log"]["entries"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"not a HAR file (log.entries): {exc}") from exc
    if not isinstance(entries, list):
        raise SourceError("not a HAR file: log.entries is not a list")
    return [_har_request(entry, f"log.entries[{n}]") for n, entry in enumerate(entries)]


def _har_request(entry: Any, where: str) -> Request:
    try:
        request = entry["request"]
        method = str(request["method"]).upper()
        url = urlsplit(str(request["url"]))
        headers = tuple(
            (str(h["name"]).lower(), str(h["value"]))
            for h in request.get("headers", [])
            if str(h["name"]).lower() not in _DROPPED and not str(h["name"]).startswith(":")
        )
        post = request.get("postData") or {}
        text = post.get("text") or ""
        body = base64.b64decode(text) if post.get("encoding") == "base64" else text.encode()
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceError(f"{where}.request: {exc!r}") from exc
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    return Request(method, path, headers, body)


def from_flow_export(text: str) -> list[Request]:
    """Requests printed by ``strangler_proxy.mitm.export`` (a flow file read by mitmproxy)."""
    try:
        items = json.loads(text)
        return [
            Request(
                str(item["method"]).upper(),
                str(item["path"]),
                tuple(
                    (str(k).lower(), str(v))
                    for k, v in item["headers"]
                    if str(k).lower() not in _DROPPED
                ),
                base64.b64decode(item["body_b64"]),
            )
            for item in items
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"unreadable flow export: {exc!r}") from exc


def on_paths(
    requests: list[Request], only: tuple[str, ...] = (), skip: tuple[str, ...] = ()
) -> list[Request]:
    """The requests whose path (less its query) matches a glob of ``only`` (all, when
    empty) and none of ``skip``: what a service took over, out of the monolith's whole API.

    >>> every = [Request("GET", p) for p in ("/api/catalog/products/?page=2",
    ...          "/api/catalog/products/3/availability/", "/api/reviews/1/", "/api/orders/")]
    >>> kept = on_paths(every, ("/api/catalog/*", "/api/reviews/*"), ("*/availability/",))
    >>> [r.path for r in kept]
    ['/api/catalog/products/?page=2', '/api/reviews/1/']
    """

    def path_of(request: Request) -> str:
        return request.path.split("?", 1)[0]

    return [
        r for r in requests
        if (not only or any(fnmatchcase(path_of(r), glob) for glob in only))
        and not any(fnmatchcase(path_of(r), glob) for glob in skip)
    ]  # fmt: skip
