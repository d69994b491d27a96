"""A small Django project as literal sources, written to a directory for the builder."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

FILES = {
    "shop/__init__.py": "",
    "shop/settings.py": """
        ROOT_URLCONF = "shop.urls"
        AUTH_USER_MODEL = "accounts.User"
        INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "shop.accounts"]
        INSTALLED_APPS += [
            "shop.common",
            "shop.catalog.apps.CatalogConfig",
            "shop.orders",
            "shop.shipping",
        ]
    """,
    "shop/urls.py": """
        from django.urls import include, path, re_path
        from shop.orders import views as order_views

        urlpatterns = [
            path("api/orders/", include("shop.orders.urls")),
            path("api/catalog/", include("shop.catalog.urls")),
            re_path(r"^legacy/(?P<number>[0-9]+)/$", order_views.legacy_order),
        ]
    """,
    "shop/accounts/__init__.py": "",
    "shop/accounts/models.py": """
        from django.contrib.auth.models import AbstractUser

        class User(AbstractUser):
            pass
    """,
    "shop/common/__init__.py": "",
    "shop/common/models.py": """
        from django.conf import settings
        from django.db import models

        class TimeStamped(models.Model):
            created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

            class Meta:
                abstract = True
    """,
    "shop/catalog/__init__.py": "",
    "shop/catalog/apps.py": """
        from django.apps import AppConfig

        class CatalogConfig(AppConfig):
            name = "shop.catalog"
            label = "products"
    """,
    "shop/catalog/models/__init__.py": """
        from .product import Category, Product, CheapProduct
    """,
    "shop/catalog/models/product.py": """
        from django.db import models
        from shop.common.models import TimeStamped

        class Category(models.Model):
            name = models.CharField(max_length=20)

        class Product(TimeStamped):
            category = models.ForeignKey(Category, on_delete=models.CASCADE)
            stock = models.IntegerField(default=0)

        class CheapProduct(Product):
            class Meta:
                proxy = True
    """,
    "shop/catalog/services.py": """
        from shop.catalog.models import Product

        def reserve(product_id, quantity):
            Product.objects.filter(pk=product_id).update(stock=0)
    """,
    "shop/catalog/views.py": """
        from rest_framework import mixins, viewsets
        from rest_framework.decorators import action
        from shop.catalog.models import Product

        class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             viewsets.GenericViewSet):
            queryset = Product.objects.all()
            lookup_field = "slug"

            @action(detail=True, methods=["post"])
            def restock(self, request, slug=None):
                product = self.get_object()
                product.save()
    """,
    "shop/catalog/urls.py": """
        from rest_framework.routers import DefaultRouter
        from .views import ProductViewSet

        router = DefaultRouter()
        router.register("products", ProductViewSet, basename="product")
        urlpatterns = router.urls
    """,
    "shop/orders/__init__.py": "",
    "shop/orders/models.py": """
        from django.conf import settings
        from django.db import models

        class Order(models.Model):
            customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

        class OrderLine(models.Model):
            order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
            product = models.ForeignKey("products.Product", on_delete=models.PROTECT)
    """,
    "shop/orders/signals.py": """
        from django.dispatch import Signal

        order_placed = Signal()
    """,
    "shop/orders/services.py": """
        from django.db import transaction
        from shop.catalog.services import reserve
        from shop.orders.models import Order
        from shop.orders.signals import order_placed

        @transaction.atomic
        def checkout(customer, product_id):
            order = Order.objects.create(customer=customer)
            order.lines.create(product_id=product_id, quantity=1)
            reserve(product_id, 1)
            order_placed.send(sender=Order, order=order)
            return order
    """,
    "shop/orders/serializers.py": """
        from rest_framework import serializers
        from shop.orders.models import Order

        class OrderSerializer(serializers.ModelSerializer):
            class Meta:
                model = Order
                fields = ["id"]

            def get_line_count(self, order):
                return order.lines.count()
    """,
    "shop/orders/views.py": """
        from rest_framework import viewsets
        from rest_framework.decorators import api_view
        from shop.orders import services
        from shop.orders.models import *
        from shop.orders.serializers import OrderSerializer

        @api_view(["POST"])
        def checkout(request):
            return services.checkout(request.user, request.data["product"])

        def legacy_order(request, number):
            return Order.objects.get(pk=number)

        class OrderViewSet(viewsets.GenericViewSet):
            serializer_class = OrderSerializer

            def perform_destroy(self, instance):
                instance.delete()
    """,
    "shop/orders/urls.py": """
        from django.urls import path
        from . import views

        urlpatterns = [path("checkout/", views.checkout, name="checkout")]
    """,
    "shop/shipping/__init__.py": "",
    "shop/shipping/models.py": """
        from django.db import models

        class Shipment(models.Model):
            order = models.OneToOneField("orders.Order", on_delete=models.CASCADE)
    """,
    "shop/shipping/receivers.py": """
        from django.db.models.signals import post_save
        from django.dispatch import receiver
        from shop.orders.models import Order
        from shop.orders.signals import order_placed
        from shop.shipping.models import Shipment

        @receiver(post_save, sender=Order)
        def order_saved(sender, instance, **kwargs):
            if kwargs.get("created"):
                Shipment.objects.create(order=instance)

        @receiver(order_placed)
        def placed(sender, order, **kwargs):
            import shop.catalog.services
    """,
    "shop/orders/migrations/__init__.py": "",
    "shop/orders/migrations/0001_initial.py": "from django.db import migrations\n",
    "shop/orders/tests.py": "from shop.orders.models import Order\n",
    "shop/legacy/__init__.py": "",
    "shop/legacy/report.py": 'print "total"\n',
}


def write_project(root: Path) -> Path:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip("\n"))
    return root
