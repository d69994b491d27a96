from analysis.facts import Registration, Route
from tests.analysis.collect.helpers import facts_of


def test_path_re_path_include_and_names() -> None:
    facts = facts_of(
        """
        from django.urls import include, path, re_path
        from django.contrib.auth.decorators import login_required
        from . import views

        detail = views.ItemView.as_view({"get": "retrieve", "delete": "destroy"})
        api = [path("items/<int:pk>/", detail, name="item")]

        urlpatterns = [
            path("", views.home, name="home"),
            re_path(r"^legacy/(?P<slug>[-\\w]+)/$", login_required(views.Legacy.as_view())),
            path("catalog/", include("shop.catalog.urls")),
            path("api/", include((api, "api"), namespace="api")),
        ]
        urlpatterns += [path("health/", views.health)]
        """,
        module="shop.urls",
    )
    routes = facts.urlpatterns
    assert routes is not None
    assert routes[0] == Route("view", "", False, 10, "shop.views.home", "home")
    assert routes[1].target == "shop.views.Legacy" and routes[1].regex
    assert routes[2] == Route("include", "catalog/", False, 12, target="shop.catalog.urls")
    nested = routes[3].children[0]
    assert nested.target == "shop.views.ItemView" and nested.methods == ("DELETE", "GET")
    assert routes[4].pattern == "health/"


def test_drf_routers_registered_and_included() -> None:
    facts = facts_of(
        """
        from django.urls import include, path
        from rest_framework.routers import DefaultRouter
        from .views import OrderViewSet

        router = DefaultRouter()
        router.register(r"orders", OrderViewSet, basename="order")

        urlpatterns = [path("api/", include(router.urls))]
        urlpatterns += router.urls
        """,
        module="shop.orders.urls",
    )
    assert facts.registrations == (
        Registration(
            "shop.orders.urls.router", "orders", "shop.orders.views.OrderViewSet", "order", 7
        ),
    )
    assert facts.urlpatterns is not None
    assert [(r.kind, r.pattern, r.target) for r in facts.urlpatterns] == [
        ("router", "api/", "shop.orders.urls.router"),
        ("router", "", "shop.orders.urls.router"),
    ]


def test_a_module_without_urlpatterns_has_none() -> None:
    assert facts_of("x = [1, 2]\n").urlpatterns is None
