"""Whole HTTP answers: status, headers by case-insensitive name, JSON, text and bytes bodies."""

from __future__ import annotations

from strangler_proxy.compare.answers import Answer, compare_answers
from strangler_proxy.compare.rules import Rules

JSON = ("Content-Type", "application/json")


def found(monolith: Answer, service: Answer, rules: Rules | None = None) -> list[tuple[str, str]]:
    compiled = rules.compile() if rules else None
    return [(d.path, d.kind.value) for d in compare_answers(monolith, service, compiled)]


def test_equal_answers_from_two_servers_do_not_differ() -> None:
    monolith = Answer(
        200,
        (
            JSON,
            ("Date", "Mon, 01 Dec 2026 10:00:00 GMT"),
            ("Server", "gunicorn"),
            ("X-Request-ID", "a"),
            ("Content-Length", "8"),
        ),
        b'{"a": 1}',
    )
    service = Answer(
        200,
        (
            ("content-type", "application/json"),
            ("date", "Tue"),
            ("server", "x"),
            ("x-request-id", "b"),
            ("content-length", "7"),
        ),
        b'{"a":1}',
    )
    assert found(monolith, service) == []


def test_headers_compare_by_name_whatever_the_case() -> None:
    monolith = Answer(301, (("Location", "/a/"),), b"")
    service = Answer(301, (("location", "/b/"), ("ETag", "x")), b"")
    assert found(monolith, service) == [("headers.etag", "added"), ("headers.location", "changed")]
    assert found(monolith, service, Rules(ignore_headers=frozenset({"etag"}))) == [
        ("headers.location", "changed")
    ]


def test_content_length_counts_only_for_answers_without_bodies() -> None:
    monolith = Answer(200, (JSON, ("Content-Length", "8")), b'{"a": 1}')
    spaced = Answer(200, (JSON, ("Content-Length", "7")), b'{"a":1}')
    assert found(monolith, spaced) == []  # equal bodies, written differently
    longer = Answer(200, (JSON, ("Content-Length", "9")), b'{"a": 22}')
    assert found(monolith, longer) == [("$.a", "changed")]  # the body says it all
    head = Answer(200, (JSON, ("Content-Length", "8")), b"")
    assert found(head, Answer(200, (JSON, ("Content-Length", "9")), b"")) == [
        ("headers.content-length", "changed")
    ]


def test_invalid_json_on_one_side_is_a_difference_not_a_crash() -> None:
    good = Answer(200, (JSON,), b'{"a": 1}')
    html = Answer(500, (JSON,), b"<h1>Server Error</h1>")
    differences = compare_answers(good, html)
    assert [(d.path, d.kind.value) for d in differences] == [
        ("status", "changed"),
        ("$", "invalid"),
    ]
    assert differences[1].service.startswith("not JSON (")
    assert found(Answer(200, (JSON,), b""), good) == [("$", "type")]  # empty vs a document


def test_text_bodies_show_their_first_differing_line() -> None:
    html = ("Content-Type", "text/html; charset=utf-8")
    monolith = Answer(200, (html,), b"<p>\nHello\n</p>")
    service = Answer(200, (html,), b"<p>\nHi\n</p>")
    [difference] = compare_answers(monolith, service)
    assert (difference.path, difference.monolith, difference.service) == ("body:2", "Hello", "Hi")


def test_binary_bodies_compare_by_digest() -> None:
    png = ("Content-Type", "image/png")
    [difference] = compare_answers(
        Answer(200, (png,), b"\x89PNG1"), Answer(200, (png,), b"\x89PNG2")
    )
    assert difference.path == "body"
    assert difference.monolith.startswith("5 bytes, sha256 ")
    assert difference.monolith != difference.service
