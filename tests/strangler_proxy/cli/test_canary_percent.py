"""``routes set``: canary needs --percent, no other mode takes one (checked by the CLI and by
the admin API it talks to, so nothing is written either way)."""

import pytest

from strangler_proxy.admin.client import AdminClient, AdminError
from strangler_proxy.routing import Mode
from tests.strangler_proxy.cli.conftest import TOKEN, RunningAdmin
from tests.strangler_proxy.cli.test_routes_and_services_cli import strangler


def test_canary_without_percent_is_refused_naming_it(running_admin: RunningAdmin) -> None:
    version = running_admin.store().version()
    result = strangler(running_admin, "routes", "set", "product-list", "canary", "--reason", "r")
    assert result.exit_code == 2
    assert "'--percent'" in result.output and "canary needs a share" in result.output
    assert running_admin.store().version() == version


def test_a_percent_with_another_mode_is_refused(running_admin: RunningAdmin) -> None:
    version = running_admin.store().version()
    result = strangler(
        running_admin,
        "routes",
        "set",
        "product-list",
        "service",
        "--percent",
        "30",
        "--reason",
        "r",
    )
    assert result.exit_code == 2
    assert "'--percent'" in result.output and "only canary takes a percent" in result.output
    assert running_admin.store().get_route("product-list").mode is Mode.MONOLITH
    assert running_admin.store().version() == version


def test_leaving_canary_resets_the_percent(running_admin: RunningAdmin) -> None:
    set_ = ("routes", "set", "product-list")
    assert (
        strangler(
            running_admin, *set_, "canary", "--percent", "30", "--reason", "r", "--force"
        ).exit_code
        == 0
    )
    flipped = strangler(running_admin, *set_, "service", "--reason", "all in")
    assert flipped.output.strip() == "product-list: service -> catalog"
    route = running_admin.store().get_route("product-list")
    assert (route.mode, route.percent) == (Mode.SERVICE, 0)


def test_the_admin_api_refuses_it_for_every_client(running_admin: RunningAdmin) -> None:
    with AdminClient(running_admin.url, TOKEN) as client:
        for mode, percent in (("canary", None), ("service", 30), ("monolith", 0)):
            with pytest.raises(AdminError, match=r"^400: percent: "):
                client.set_route("product-list", mode=mode, percent=percent, reason="r")
    assert running_admin.store().get_route("product-list").mode is Mode.MONOLITH
