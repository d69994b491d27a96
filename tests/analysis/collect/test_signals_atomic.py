from analysis.facts import Atomic, Receiver, Ref, Send
from tests.analysis.collect.helpers import facts_of, function


def test_receiver_decorator_connect_and_custom_signals() -> None:
    facts = facts_of(
        """
        from django.db.models.signals import post_save, post_delete
        from django.dispatch import Signal, receiver
        from shop.orders.models import Order

        order_paid = Signal()

        @receiver([post_save, post_delete], sender=Order)
        def order_changed(sender, instance, **kwargs):
            pass

        @receiver(post_save, sender="catalog.Product")
        def product_saved(sender, **kwargs):
            pass

        def on_paid(sender, **kwargs):
            pass

        order_paid.connect(on_paid)

        def pay(order):
            order_paid.send(sender=Order, order=order)
        """,
        module="shop.payments.signals",
    )
    assert facts.signals == ("shop.payments.signals.order_paid",)
    order = Ref("class", "shop.orders.models.Order")
    assert set(facts.receivers) == {
        Receiver(
            "django.db.models.signals.post_save", order, "shop.payments.signals.order_changed", 9
        ),
        Receiver(
            "django.db.models.signals.post_delete", order, "shop.payments.signals.order_changed", 9
        ),
        Receiver(
            "django.db.models.signals.post_save",
            Ref("label", "catalog.Product"),
            "shop.payments.signals.product_saved",
            13,
        ),
        Receiver("shop.payments.signals.order_paid", None, "shop.payments.signals.on_paid", 19),
    }
    assert facts.sends == (Send("shop.payments.signals.order_paid", 22, "pay"),)


def test_connect_in_app_config_ready_with_a_sender() -> None:
    facts = facts_of(
        """
        from django.apps import AppConfig
        from django.db.models.signals import post_save

        class ShippingConfig(AppConfig):
            name = "shop.shipping"

            def ready(self):
                from shop.orders.models import Order
                from . import handlers
                post_save.connect(handlers.order_saved, sender=Order)
        """,
        module="shop.shipping.apps",
    )
    assert facts.receivers == (
        Receiver(
            "django.db.models.signals.post_save",
            Ref("class", "shop.orders.models.Order"),
            "shop.shipping.handlers.order_saved",
            11,
        ),
    )


def test_atomic_decorator_and_with_blocks() -> None:
    facts = facts_of(
        """
        from django.db import transaction
        from django.db.transaction import atomic
        from shop.orders.models import Order

        @transaction.atomic
        def checkout():
            Order.objects.create()

        @atomic(using="default")
        def cancel():
            pass

        def pay():
            Order.objects.get(pk=1)
            with transaction.atomic():
                Order.objects.filter(pk=1).update(paid=True)
                notify()

        def notify():
            pass
        """
    )
    assert function(facts, "checkout").atomic == (Atomic(7, 8),)
    assert function(facts, "cancel").atomic == (Atomic(11, 12),)
    pay = function(facts, "pay")
    assert pay.atomic == (Atomic(16, 18),)
    assert [c.callee for c in pay.calls] == ["shop.orders.views.notify"]


def test_view_decorators_give_http_methods() -> None:
    facts = facts_of(
        """
        from django.views.decorators.http import require_http_methods, require_POST
        from rest_framework.decorators import api_view

        @api_view(["GET", "post"])
        def items(request):
            pass

        @require_POST
        def buy(request):
            pass

        @require_http_methods(["PUT"])
        def put(request):
            pass

        def anything(request):
            pass
        """
    )
    assert function(facts, "items").http_methods == ("GET", "POST")
    assert function(facts, "buy").http_methods == ("POST",)
    assert function(facts, "put").http_methods == ("PUT",)
    # A function with no decorator, ORM use or call leaves no fact at all.
    assert "anything" not in {f.name for f in facts.functions}
