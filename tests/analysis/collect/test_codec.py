"""Facts go through the cache as checked JSON: they come back equal, and anything else is
refused (the cache then parses the file again)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.builder.discover import discover
from analysis.codec import decode, encode
from analysis.collect import collect_module
from analysis.facts import BrokenFile, ModuleFacts
from tests.analysis.collect.helpers import facts_of

EMPTY = encode(ModuleFacts("shop.a", "shop/a.py", False, 1))
MONOLITH = Path(__file__).resolve().parents[3] / "legacy_monolith"


def through_json(value: object) -> object:
    return json.loads(json.dumps(value))


def test_facts_round_trip_through_json() -> None:
    facts = facts_of(
        """
        from django.db import models
        from rest_framework import viewsets

        class Order(models.Model):
            customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE)

        class OrderViewSet(viewsets.ModelViewSet):
            queryset = Order.objects.all()

            def perform_destroy(self, instance):
                instance.delete()
        """
    )
    again = decode(through_json(encode(facts)))

    assert again == facts and again.classes[0].fields[0].to.target == "customers.Customer"
    broken = BrokenFile("a.py", "syntax error at line 1")
    assert decode(through_json(encode(broken))) == broken


def test_every_file_of_the_monolith_round_trips() -> None:
    files = discover(MONOLITH)
    assert len(files) > 20
    for source in files:
        facts = collect_module(source.path.read_bytes(), source.module, source.rel)
        assert decode(through_json(encode(facts))) == facts, source.rel


@pytest.mark.parametrize(
    "foreign",
    [
        None,
        [],
        ["X", "a.py", "reason"],  # unknown tag
        ["B", "a.py"],  # a field missing
        ["B", "a.py", 3],  # a field of the wrong type
        [*EMPTY[:4], "12", *EMPTY[5:]],  # lines as a string
        [*EMPTY[:4], True, *EMPTY[5:]],  # lines as a boolean
        [*EMPTY[:10], ["shop.a.saved", 3], *EMPTY[11:]],  # signals: not all strings
        [*EMPTY[:8], [["f", 1, 2, [], [], [], ["GET", None]]], *EMPTY[9:]],  # a method of None
        [*EMPTY[:5], [["os", None, 1, False]], *EMPTY[6:]],  # an Import with a field missing
        [*EMPTY[:7], [["shop.a.A", 1, ["Base"], [], [], False]], *EMPTY[8:]],  # a short class
        {"__reduce__": "os.system"},
    ],
)
def test_anything_else_is_refused(foreign: object) -> None:
    with pytest.raises(ValueError):
        decode(foreign)
