"""Facts travel between processes and through the cache as pickles: they come back equal."""

from __future__ import annotations

import pickle

from analysis.facts import BrokenFile
from tests.analysis.collect.helpers import facts_of


def test_facts_round_trip_through_pickle() -> None:
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
    again = pickle.loads(pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL))

    assert again == facts and again.classes[0].fields[0].to.target == "customers.Customer"
    broken = BrokenFile("a.py", "syntax error at line 1")
    assert pickle.loads(pickle.dumps(broken)) == broken
