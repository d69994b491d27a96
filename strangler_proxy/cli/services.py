"""``strangler services``: the service registry (instances of each extracted service)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from strangler_proxy.cli._admin import admin_client, admin_options
from strangler_proxy.cli.health_view import services_grid
from strangler_proxy.cli.tables import show
from strangler_proxy.registry import load_services_file
from strangler_proxy.routing import InvalidFlag


@click.group()
def services() -> None:
    """Services the proxy can route to, and their instances."""


@services.command("list")
@admin_options
@click.option("--json", "as_json", is_flag=True, help="Print the admin API's JSON.")
def list_services(admin_url: str, token: str | None, as_json: bool) -> None:
    """Registered services and each instance's health as the proxy sees it: up, down or
    ejected, requests in flight, the last health check."""
    with admin_client(admin_url, token) as client:
        found = client.services()
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    show(services_grid(found, now=datetime.now(UTC)))


@services.command("register")
@admin_options
@click.argument("name")
@click.argument("urls", metavar="URL...", nargs=-1, required=True)
@click.option("--reason", default="", help="Why: kept in the audit log.")
def register(
    admin_url: str, token: str | None, name: str, urls: tuple[str, ...], reason: str
) -> None:
    """Register service NAME with its instance URLs (replaces the previous list)."""
    with admin_client(admin_url, token) as client:
        spec = client.register_service(name, urls, reason)
    click.echo(f"{spec['name']}: {', '.join(spec['instances'])}")


@services.command("load")
@admin_options
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", default="", help="Why: kept in the audit log.")
def load(admin_url: str, token: str | None, path: Path, reason: str) -> None:
    """Register every service of a TOML/JSON file ([services] name = ["http://..."])."""
    try:
        specs = load_services_file(path)
    except InvalidFlag as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    with admin_client(admin_url, token) as client:
        for spec in specs:
            client.register_service(spec.name, spec.instances, reason or f"loaded from {path}")
            click.echo(f"{spec.name}: {', '.join(spec.instances)}")
