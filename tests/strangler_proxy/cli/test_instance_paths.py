"""An instance URL is an origin: a path in it (``http://127.0.0.1:8000/api``) is refused with
the reason, wherever a service is registered: ``strangler services register``, ``services
load`` and the admin API's ``POST /services`` (a real admin process). Nothing is stored."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.envelope import error_of
from tests.strangler_proxy.cli.conftest import TOKEN, RunningAdmin
from tests.strangler_proxy.cli.test_routes_and_services_cli import strangler

REASON = "a path in an instance URL is not supported ('/api{}'): register http://127.0.0.1:8000 "


def registered(admin: RunningAdmin) -> dict[str, tuple[str, ...]]:
    return {s.name: s.instances for s in admin.store().services()}


def test_services_register_refuses_a_path(running_admin: RunningAdmin) -> None:
    result = strangler(running_admin, "services", "register", "orders", "http://127.0.0.1:8000/api")
    assert result.exit_code != 0
    assert REASON.format("") in result.output
    assert "orders" not in registered(running_admin)


def test_services_load_refuses_a_path_and_names_the_file(
    running_admin: RunningAdmin, tmp_path: Path
) -> None:
    path = tmp_path / "services.toml"
    path.write_text('[services]\norders = ["http://127.0.0.1:8000/api/"]\n')
    result = strangler(running_admin, "services", "load", str(path))
    assert result.exit_code != 0
    assert str(path) in result.output and REASON.format("/") in result.output
    assert "orders" not in registered(running_admin)


def test_the_admin_api_refuses_a_path_naming_the_field(running_admin: RunningAdmin) -> None:
    answer = httpx.post(
        running_admin.url + "/services",
        json={"name": "orders", "urls": ["http://127.0.0.1:8000/api"]},
        headers={"Authorization": f"Bearer {TOKEN}"},
        trust_env=False,
    )
    error = error_of(answer.content, 400)
    assert list(error["fields"]) == ["urls"] and REASON.format("") in error["message"]
    assert "orders" not in registered(running_admin)
