from analysis.facts import ClassFact, Field, Ref
from tests.analysis.collect.helpers import facts_of, function

MODELS = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from shop.common.models import TimeStamped


class Base(models.Model):
    class Meta:
        abstract = True


class Product(TimeStamped):
    category = models.ForeignKey("catalog.Category", models.CASCADE, related_name="products")
    parent = models.ForeignKey("self", null=True, on_delete=models.SET_NULL)
    tags = models.ManyToManyField(to="Tag")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    buyer = models.OneToOneField(get_user_model(), on_delete=models.CASCADE)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT)
    name = models.CharField(max_length=20)


class Warehouse(models.Model):  # defined below its first use: still this module's class
    pass


class CheapProduct(Product):
    class Meta:
        proxy = True
        app_label = "deals"
"""


def classes(source: str) -> dict[str, ClassFact]:
    facts = facts_of(source, module="shop.catalog.models")
    return {c.name.rsplit(".", 1)[-1]: c for c in facts.classes}


def test_bases_resolve_through_imports() -> None:
    found = classes(MODELS)
    assert found["Base"].bases == ("django.db.models.Model",)
    assert found["Product"].bases == ("shop.common.models.TimeStamped",)
    assert found["CheapProduct"].bases == ("shop.catalog.models.Product",)


def test_meta_abstract_proxy_and_app_label() -> None:
    found = classes(MODELS)
    assert found["Base"].abstract and not found["Base"].proxy
    assert found["CheapProduct"].proxy and found["CheapProduct"].app_label == "deals"
    assert not found["Product"].abstract


def test_every_kind_of_relation_target() -> None:
    fields = {f.name: f for f in classes(MODELS)["Product"].fields}
    assert fields["category"] == Field(
        "category", "fk", Ref("label", "catalog.Category"), "products", 14
    )
    assert fields["parent"].to == Ref("label", "self")
    assert fields["tags"].relation == "m2m" and fields["tags"].to == Ref("label", "Tag")
    assert fields["owner"].to == Ref("label", "settings.AUTH_USER_MODEL")
    assert fields["buyer"].relation == "o2o"
    assert fields["buyer"].to == Ref("label", "settings.AUTH_USER_MODEL")
    assert fields["warehouse"].to == Ref("class", "shop.catalog.models.Warehouse")
    assert "name" not in fields


def test_apps_get_model_with_literal_arguments_is_a_dynamic_load_of_a_label() -> None:
    facts = facts_of(
        """
        from django.apps import apps
        from django.contrib.auth import get_user_model
        Order = apps.get_model("orders", "Order")
        Line = apps.get_model("orders.OrderLine")
        User = get_user_model()

        def total():
            return Order.objects.count() + Line.objects.count() + User.objects.count()

        def reserve(pk):
            Product = apps.get_model(app_label="catalog", model_name="Product")
            product = Product.objects.get(pk=pk)
            product.save()
        """
    )
    assert facts.aliases["Order"] == "dynamic:orders.Order"
    assert facts.aliases["User"] == "label:settings.AUTH_USER_MODEL"  # Django's way: no smell
    assert {(u.target, u.access) for u in function(facts, "total").uses} == {
        (Ref("dynamic", "orders.Order"), "read"),
        (Ref("dynamic", "orders.OrderLine"), "read"),
        (Ref("label", "settings.AUTH_USER_MODEL"), "read"),
    }
    assert {(u.target, u.access) for u in function(facts, "reserve").uses} == {
        (Ref("dynamic", "catalog.Product"), "read"),
        (Ref("dynamic", "catalog.Product"), "write"),  # an instance of it saved
    }


def test_app_config_label_is_recorded() -> None:
    facts = facts_of(
        """
        from django.apps import AppConfig
        class CatalogConfig(AppConfig):
            name = "shop.catalog"
            label = "products"
        """,
        module="shop.catalog.apps",
    )
    assert facts.app_label == "products"


def test_drf_class_attributes_and_actions() -> None:
    found = classes(
        """
        from rest_framework import viewsets
        from rest_framework.decorators import action
        from .models import Product

        class ProductViewSet(viewsets.ModelViewSet):
            queryset = Product.objects.filter(active=True)
            lookup_field = "slug"

            @action(detail=True, methods=["post", "put"], url_path="re-price")
            def reprice(self, request, slug=None):
                pass

            @action(detail=False)
            def featured(self, request):
                pass
        """
    )
    viewset = found["ProductViewSet"]
    assert viewset.bases == ("rest_framework.viewsets.ModelViewSet",)
    assert viewset.queryset == "shop.catalog.models.Product"
    assert ("lookup_field", "slug") in viewset.attrs
    actions = {a.name: a for a in viewset.actions}
    assert actions["reprice"].detail and actions["reprice"].methods == ("POST", "PUT")
    assert actions["reprice"].url_path == "re-price"
    assert not actions["featured"].detail and actions["featured"].methods == ("GET",)


def test_settings_the_builder_needs_are_recorded() -> None:
    facts = facts_of(
        """
        ROOT_URLCONF = "shop.urls"
        AUTH_USER_MODEL = "accounts.User"
        INSTALLED_APPS = ["django.contrib.auth", "shop.catalog"]
        INSTALLED_APPS += ("shop.orders.apps.OrdersConfig",)
        """,
        module="shop.settings",
    )
    assert facts.settings == {
        "ROOT_URLCONF": "shop.urls",
        "AUTH_USER_MODEL": "accounts.User",
        "INSTALLED_APPS": "django.contrib.auth,shop.catalog,shop.orders.apps.OrdersConfig",
    }


def test_classes_defined_under_module_level_conditions() -> None:
    found = classes(
        """
        from oscar.core.loading import is_model_registered
        from shop.catalog.abstract_models import AbstractProduct

        if not is_model_registered("catalogue", "Product"):
            class Product(AbstractProduct):
                pass
        """
    )
    assert found["Product"].bases == ("shop.catalog.abstract_models.AbstractProduct",)


def test_a_class_declaring_model_fields_is_known_as_one() -> None:
    found = classes(
        """
        from django.db import models
        from treebeard.mp_tree import MP_Node

        class Category(MP_Node):
            name = models.CharField(max_length=20)

        class Plain(MP_Node):
            name = "x"
        """
    )
    assert found["Category"].model_fields and not found["Plain"].model_fields
