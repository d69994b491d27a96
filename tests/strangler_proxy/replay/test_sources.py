"""Request files: YAML lists and HAR exports read into requests, bad ones named precisely."""

from __future__ import annotations

import base64
import json

import pytest

from strangler_proxy.replay.sources import Request, SourceError, from_har, from_yaml

HAR = {
    "log": {
        "version": "1.2",
        "entries": [
            {
                "request": {
                    "method": "GET",
                    "url": "http://127.0.0.1:8080/api/catalog/products/?page=2&search=tea",
                    "headers": [
                        {"name": "Host", "value": "127.0.0.1:8080"},
                        {"name": "Accept", "value": "application/json"},
                        {"name": "Accept-Encoding", "value": "gzip, br"},
                    ],
                }
            },
            {
                "request": {
                    "method": "post",
                    "url": "http://127.0.0.1:8080/api/reviews/",
                    "headers": [{"name": "Content-Type", "value": "application/json"}],
                    "postData": {
                        "mimeType": "application/json",
                        "text": base64.b64encode(b'{"rating": 5}').decode(),
                        "encoding": "base64",
                    },
                }
            },
        ],
    }
}


def test_a_har_file_gives_its_requests_in_order_without_per_connection_headers() -> None:
    assert from_har(json.dumps(HAR)) == [
        Request(
            "GET", "/api/catalog/products/?page=2&search=tea", (("accept", "application/json"),)
        ),
        Request("POST", "/api/reviews/", (("content-type", "application/json"),), b'{"rating": 5}'),
    ]


def test_yaml_mappings_take_headers_and_bodies() -> None:
    [request] = from_yaml("requests:\n  - {method: put, path: /a/, body: 'x=1', headers: {X-A: b}}")
    assert request == Request("PUT", "/a/", (("x-a", "b"),), b"x=1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("requests: 3", "expected a mapping with a 'requests' list"),
        ("requests:\n  - {path: /a/, jsn: {}}", "requests[0].jsn: unknown key"),
        ("requests:\n  - {method: GET, path: a/}", "requests[0]: needs a method and a path"),
        ("requests:\n  - {path: /a/, json: {}, body: x}", "requests[0]: json or body, not both"),
        ("requests: [", "not YAML"),
    ],
)
def test_bad_yaml_names_where(text: str, message: str) -> None:
    with pytest.raises(SourceError, match=message.replace("[", r"\[").replace("]", r"\]")):
        from_yaml(text)


def test_bad_har_names_where() -> None:
    with pytest.raises(SourceError, match="not a HAR file"):
        from_har("[]")
    with pytest.raises(SourceError, match=r"log.entries\[0\].request"):
        from_har('{"log": {"entries": [{"request": {"url": "http://x/"}}]}}')
