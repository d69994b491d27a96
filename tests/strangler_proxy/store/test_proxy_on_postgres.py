"""End to end: ``strangler proxy run --store postgresql://...`` with two workers polling the
PostgreSQL store and the admin API writing to it; a flip through the admin port reaches
every worker."""

import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from strangler_proxy.store import open_store
from tests.strangler_proxy.proxy_stack import proxy, route, seed, standin, until

pytestmark = pytest.mark.postgres


def served_by(client: httpx.Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return str(response.json()["served_by"])


def test_the_proxy_routes_by_a_postgresql_store(postgres_url: str, tmp_path: Path) -> None:
    token = secrets.token_urlsafe(24)
    (tmp_path / "admin.token").write_text(token)
    admin = [
        "--admin-listen", "127.0.0.1:0",
        "--admin-token-file", str(tmp_path / "admin.token"),
    ]  # fmt: skip
    store = open_store(postgres_url, create=True)
    with standin("monolith", tmp_path) as monolith, standin("catalog", tmp_path) as catalog:
        seed(store, {"catalog": [catalog.url]}, [route("catalog", "/api/catalog/{rest:path}")])
        with (
            proxy(monolith.url, postgres_url, tmp_path, "--workers", "2", *admin) as edge,
            httpx.Client(
                base_url=edge.url,
                trust_env=False,
                timeout=10,
                headers={"connection": "close"},  # each request may land on either worker
            ) as client,
        ):
            assert served_by(client, "/api/catalog/products/") == "monolith"
            flip = httpx.patch(
                f"{edge.admin_url}/routes/catalog",
                # no shadow evidence in this test: past the promotion gate, audited as such
                json={"mode": "service", "service": "catalog", "reason": "cut over", "force": True},
                headers={"authorization": f"Bearer {token}"},
                trust_env=False,
            )
            assert flip.status_code == 200, flip.text
            until(
                lambda: all(
                    served_by(client, f"/api/catalog/products/{i}/") == "catalog" for i in range(20)
                )
            )
    [record, *_] = store.history("catalog")  # written by the proxy's admin API
    assert record.before is not None and record.reason.startswith("cut over [forced past")
    assert record.after == {**record.before, "mode": "service", "service": "catalog"}
    store.close()


@pytest.mark.postgres
def test_a_store_password_is_never_printed(postgres_url: str, tmp_path: Path) -> None:
    """The URL a user gives may hold a password: the commands print it masked."""
    with_password = postgres_url.replace("postgres@", "postgres:s3cret-pw@", 1)
    report = tmp_path / "report.json"
    report.write_text('{"endpoints": [{"pattern": "/api/x/", "methods": ["GET"]}]}')
    done = subprocess.run(
        [Path(sys.executable).with_name("strangler"), "routes", "import", "--from", str(report),
         "--store", with_password],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "s3cret-pw" not in done.stdout + done.stderr
    assert "postgres:***@" in done.stdout
