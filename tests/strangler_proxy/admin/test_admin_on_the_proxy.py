"""The control plane end to end: the real proxy serves the admin API on its own port; the
CLI flips a route through it; the proxy follows; the flip and its audit survive a restart."""

import secrets
from pathlib import Path

import httpx
from click.testing import CliRunner

from strangler_proxy.cli import main
from strangler_proxy.routing import Mode
from strangler_proxy.store import SqliteFlagStore
from tests.strangler_proxy.proxy_stack import proxy, route, seed, standin, until


def served_by(url: str) -> str:
    return str(httpx.get(url + "/api/catalog/products/", trust_env=False).json()["served_by"])


def test_flip_through_the_proxy_admin_port_and_restart(tmp_path: Path) -> None:
    store_path = tmp_path / "flags.sqlite3"
    token = secrets.token_urlsafe(24)
    token_file = tmp_path / "admin.token"
    token_file.write_text(token + "\n")
    with standin("monolith", tmp_path) as monolith, standin("catalog", tmp_path) as catalog:
        with SqliteFlagStore(store_path, create=True) as store:
            seed(store, {"catalog": [catalog.url]}, [route("products", "/api/catalog/products/")])
        admin_args = (
            "--admin-listen",
            "127.0.0.1:0",
            "--admin-token-file",
            str(token_file),
        )
        store_url = f"sqlite:///{store_path}"

        with proxy(monolith.url, store_url, tmp_path, *admin_args) as edge:
            admin_url = edge.admin_url
            assert served_by(edge.url) == "monolith"
            refused = httpx.patch(
                f"{admin_url}/routes/products",
                json={"mode": "service", "service": "catalog", "reason": "no token"},
                trust_env=False,
            )
            assert refused.status_code == 401

            env = {"STRANGLER_ADMIN_URL": admin_url, "STRANGLER_ADMIN_TOKEN": token, "USER": "bob"}
            flip = ["routes", "set", "products", "service", "--service", "catalog"]
            gated = CliRunner().invoke(main, [*flip, "--reason", "cut over"], env=env)
            assert gated.exit_code == 1  # no shadow evidence yet: the promotion gate says no
            assert "products may not move to service yet: 0 samples" in gated.output
            flipped = CliRunner().invoke(main, [*flip, "--reason", "cut over", "--force"], env=env)
            assert flipped.exit_code == 0, flipped.output
            until(lambda: served_by(edge.url) == "catalog", timeout=3.0)
            metrics = httpx.get(
                f"{admin_url}/metrics",
                headers={"authorization": f"Bearer {token}"},
                trust_env=False,
            )
            assert 'route="products"' in metrics.text

        with proxy(monolith.url, store_url, tmp_path, *admin_args) as restarted:
            admin_url = restarted.admin_url
            assert served_by(restarted.url) == "catalog"
            history = httpx.get(
                f"{admin_url}/routes/products/history",
                headers={"authorization": f"Bearer {token}"},
                trust_env=False,
            ).json()["history"]
            assert history[0]["actor"] == "bob (token admin)"
            assert history[0]["reason"] == (
                "cut over [forced past the promotion gate: 0 samples, the bar is 200"
                " (shadow it longer)]"
            )
    with SqliteFlagStore(store_path) as store:
        assert store.get_route("products").mode is Mode.SERVICE
