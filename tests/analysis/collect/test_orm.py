from tests.analysis.collect.helpers import facts_of, uses

PRODUCT = "shop.catalog.models.Product"
ORDER = "shop.orders.models.Order"


def test_manager_calls_read_and_write() -> None:
    facts = facts_of(
        """
        from shop.catalog.models import Product

        def reads():
            Product.objects.filter(active=True).exclude(stock=0).values("id")
            Product.objects.get(pk=1)
            Product.objects.select_related("category").count()
            Product.objects.all().exists()

        def writes():
            Product.objects.create(name="x")
            Product.objects.get_or_create(name="x")
            Product.objects.update_or_create(name="x")
            Product.objects.bulk_create([])
            Product.objects.bulk_update([], ["name"])
            Product.objects.filter(stock=0).update(active=False)
            Product.objects.filter(stock=0).delete()
        """
    )
    assert uses(facts, "reads") == {(PRODUCT, "", "read")}
    write_lines = {u.line: u.access for u in facts.functions[1].uses}
    assert list(write_lines.values()) == ["write"] * 7


def test_a_chain_that_ends_in_a_write_is_only_a_write() -> None:
    facts = facts_of(
        """
        from shop.catalog.models import Product
        def clear():
            Product.objects.filter(stock=0).update(active=False)
        """
    )
    assert uses(facts, "clear") == {(PRODUCT, "", "write")}


def test_instances_inferred_from_get_constructor_and_shortcuts() -> None:
    facts = facts_of(
        """
        from django.shortcuts import get_object_or_404
        from shop.catalog.models import Product
        from shop.orders.models import Order

        def edit(pk):
            product = Product.objects.get(pk=pk)
            product.save()

        def make():
            order = Order(number=1)
            order.save()

        def remove(pk):
            order = get_object_or_404(Order, pk=pk)
            order.delete()

        def upsert():
            obj, created = Order.objects.get_or_create(number=2)
            obj.refresh_from_db()

        def annotated(order: Order, other: "Product"):
            order.save()
            other.delete()
        """
    )
    assert (PRODUCT, "", "write") in uses(facts, "edit")
    assert uses(facts, "make") == {(ORDER, "", "write")}
    assert uses(facts, "remove") == {(ORDER, "", "read"), (ORDER, "", "write")}
    assert uses(facts, "upsert") == {(ORDER, "", "write"), (ORDER, "", "read")}
    assert uses(facts, "annotated") == {(ORDER, "", "write"), (PRODUCT, "", "write")}


def test_related_managers_and_self_in_model_methods() -> None:
    facts = facts_of(
        """
        from django.db import models
        from shop.orders.models import Order

        class Basket(models.Model):
            def touch(self):
                self.save()

        def lines(pk):
            order = Order.objects.get(pk=pk)
            order.lines.all()
            order.lines.create(qty=1)
            order.tags.add(3)
            order.customer.save()

        def prune(order: Order):
            for line in order.lines.filter(qty=0):
                line.delete()
        """,
        module="shop.orders.models2",
    )
    assert uses(facts, "Basket.touch") == {("shop.orders.models2.Basket", "", "write")}
    found = uses(facts, "lines")
    assert ("shop.orders.models.Order", "lines", "read") in found
    assert ("shop.orders.models.Order", "lines", "write") in found
    assert ("shop.orders.models.Order", "tags", "write") in found
    assert ("shop.orders.models.Order", "customer", "write") in found
    # The loop variable is whatever Order.lines relates to; the builder resolves it.
    assert uses(facts, "prune") == {
        ("shop.orders.models.Order", "lines", "read"),
        ("shop.orders.models.Order", "lines", "write"),
    }


def test_class_bodies_and_drf_serializer_saves() -> None:
    facts = facts_of(
        """
        from rest_framework import generics
        from shop.catalog.models import Product
        from shop.catalog.serializers import ProductSerializer

        class ProductList(generics.ListCreateAPIView):
            queryset = Product.objects.all()
            serializer_class = ProductSerializer

            def perform_create(self, serializer):
                serializer.save(owner=self.request.user)

            def other(self):
                serializer = self.get_serializer(data={})
                serializer.save()
        """
    )
    assert uses(facts, "ProductList") == {(PRODUCT, "", "read")}
    serializer = "shop.catalog.serializers.ProductSerializer"
    assert uses(facts, "ProductList.perform_create") == {(serializer, "", "write")}
    assert uses(facts, "ProductList.other") == {(serializer, "", "write")}


def test_unknown_names_are_not_guessed() -> None:
    facts = facts_of(
        """
        import requests
        def fetch(qs, thing):
            qs.filter(a=1).update(b=2)
            thing.save()
            requests.get("http://x").json()
        """
    )
    assert not facts.functions[0].uses


def test_class_based_views_get_object_and_get_queryset() -> None:
    facts = facts_of(
        """
        from django.views.generic import UpdateView
        from shop.orders.models import Order

        class OrderEdit(UpdateView):
            model = Order

            def post(self, request, pk):
                order = self.get_object()
                order.save()

            def archive(self):
                self.get_queryset().filter(old=True).update(archived=True)

            def count(self):
                return self.model.objects.count() + self.queryset.count()
        """
    )
    assert uses(facts, "OrderEdit.post") == {(ORDER, "", "read"), (ORDER, "", "write")}
    assert uses(facts, "OrderEdit.archive") == {(ORDER, "", "write")}
    assert uses(facts, "OrderEdit.count") == {(ORDER, "", "read")}


def test_drf_serializer_methods_and_view_hooks_know_their_model() -> None:
    facts = facts_of(
        """
        from rest_framework import serializers, viewsets
        from shop.catalog.models import ActiveProduct, Product
        from shop.catalog.serializers import ProductSerializer
        from shop.orders.models import Order

        class OrderSerializer(serializers.ModelSerializer):
            class Meta:
                model = Order

            def get_payment(self, order):
                return order.payments.first()

        class OrderViewSet(viewsets.ModelViewSet):
            queryset = Order.objects.all()

            def perform_destroy(self, instance):
                instance.delete()

        class ProductViewSet(viewsets.ModelViewSet):
            serializer_class = ProductSerializer

            def get_queryset(self):
                model = Product if self.request.user.is_staff else ActiveProduct
                return model.objects.all()

            def perform_destroy(self, instance):
                instance.delete()
        """
    )
    assert uses(facts, "OrderSerializer.get_payment") == {(ORDER, "payments", "read")}
    assert uses(facts, "OrderViewSet.perform_destroy") == {(ORDER, "", "write")}
    assert uses(facts, "ProductViewSet.get_queryset") == {(PRODUCT, "", "read")}
    # No queryset: the serializer stands for its Meta.model, which the builder looks up.
    serializer = "shop.catalog.serializers.ProductSerializer"
    assert uses(facts, "ProductViewSet.perform_destroy") == {(serializer, "", "write")}


def test_models_through_their_module_and_custom_managers() -> None:
    facts = facts_of(
        """
        from shop.catalog import models

        def publish(pk):
            product = models.Product.objects.get(pk=pk)
            product.save()
            models.Product.published.filter(stock=0).update(stock=1)
            for item in models.Product.objects.all():
                item.delete()
        """
    )
    product = "shop.catalog.models.Product"
    assert uses(facts, "publish") == {(product, "", "read"), (product, "", "write")}
    lines = {u.line: u.access for u in facts.functions[0].uses}
    assert lines == {5: "read", 6: "write", 7: "write", 8: "read", 9: "write"}


def test_meta_model_reached_through_cls() -> None:
    facts = facts_of(
        """
        from shop.orders.models import Order

        class OrderUpdate(ModelMutation):
            class Meta:
                model = Order

            @classmethod
            def get_instance(cls, pk):
                return cls.Meta.model.objects.get(pk=pk)
        """
    )
    assert uses(facts, "OrderUpdate.get_instance") == {(ORDER, "", "read")}
