from analysis.facts import Import
from tests.analysis.collect.helpers import facts_of


def test_absolute_and_from_imports_bind_dotted_names() -> None:
    facts = facts_of(
        """
        import os.path
        import shop.catalog.models as catalog
        from shop.inventory import services
        from shop.payments.models import Payment as P
        """
    )
    assert [(i.module, i.name) for i in facts.imports] == [
        ("os.path", None),
        ("shop.catalog.models", None),
        ("shop.inventory", "services"),
        ("shop.payments.models", "Payment"),
    ]
    assert facts.aliases["os"] == "os"
    assert facts.aliases["catalog"] == "shop.catalog.models"
    assert facts.aliases["services"] == "shop.inventory.services"
    assert facts.aliases["P"] == "shop.payments.models.Payment"


def test_relative_imports_resolve_against_module_and_package() -> None:
    in_module = facts_of("from . import views\nfrom ..common.models import Base\n")
    assert [(i.module, i.name) for i in in_module.imports] == [
        ("shop.orders", "views"),
        ("shop.common.models", "Base"),
    ]
    in_package = facts_of("from .models import Order\n", module="shop.orders", is_package=True)
    assert in_package.imports[0].module == "shop.orders.models"


def test_conditional_and_function_level_imports_are_flagged() -> None:
    facts = facts_of(
        """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from shop.catalog.models import Product
        try:
            import ujson as json
        except ImportError:
            import json

        def checkout():
            from shop.payments import services
            return services
        """
    )
    by_name = {(i.module, i.name): i for i in facts.imports}
    assert by_name[("typing", "TYPE_CHECKING")] == Import("typing", "TYPE_CHECKING", 2)
    assert by_name[("shop.catalog.models", "Product")].conditional
    assert by_name[("ujson", None)].conditional and by_name[("json", None)].conditional
    payments = by_name[("shop.payments", "services")]
    assert payments.function_level and not payments.conditional


def test_star_imports_leave_unknown_names_to_the_builder() -> None:
    facts = facts_of(
        """
        from shop.catalog.models import *
        from shop.orders.models import *

        def restock():
            Product.objects.filter(stock=0).update(stock=10)
            len([])
        """
    )
    assert [(i.module, i.name) for i in facts.imports[:1]] == [("shop.catalog.models", "*")]
    assert "*" not in facts.aliases
    (use,) = facts.functions[0].uses
    assert use.target.target == "*:shop.catalog.models|shop.orders.models:Product"
    assert not facts.functions[0].calls  # builtins are never star-imported names
