"""``--listen 127.0.0.1:0``: the kernel picks the port and the proxy says which, in one line
people and scripts read (``server.LISTENING``), with one worker or several, admin or not."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from strangler_proxy.engine.server import LISTENING
from tests.strangler_proxy.proxy_stack import Running, proxy


def said(proc: Running) -> list[str]:
    """The lines of its output that say where it listens."""
    assert proc.log_path is not None
    return [m.group(0) for m in LISTENING.finditer(proc.log_path.read_text())]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_port_zero_serves_on_the_port_the_proxy_reports(
    echo_monolith: Running, store_url: str, var_dir: Path, workers: str
) -> None:
    with proxy(echo_monolith.url, store_url, var_dir, "--workers", workers) as px:
        port = int(px.announced["port"])
        assert port != 0 and "admin_port" not in px.announced
        assert said(px) == [f"strangler proxy listening on http://127.0.0.1:{port}"]
        answer = httpx.get(f"http://127.0.0.1:{port}/some/page", trust_env=False)
        assert answer.json()["served_by"] == "monolith"
        banner = px.log_path.read_text() if px.log_path else ""
        assert f"http://127.0.0.1:{port} ({workers} worker(s))" in banner  # the table agrees


def test_the_admin_port_is_picked_and_reported_too(
    echo_monolith: Running, store_url: str, var_dir: Path, tmp_path: Path
) -> None:
    token = tmp_path / "admin.token"
    token.write_text("a-token-long-enough-for-the-admin-api\n")
    admin = ("--admin-listen", "127.0.0.1:0", "--admin-token-file", str(token))
    with proxy(echo_monolith.url, store_url, var_dir, *admin) as px:
        proxy_port, admin_port = int(px.announced["port"]), int(px.announced["admin_port"])
        assert 0 not in (proxy_port, admin_port) and proxy_port != admin_port
        assert said(px) == [
            f"strangler proxy listening on http://127.0.0.1:{proxy_port}"
            f" (admin http://127.0.0.1:{admin_port})"
        ]
        metrics = httpx.get(
            f"{px.admin_url}/metrics",
            headers={"authorization": "Bearer a-token-long-enough-for-the-admin-api"},
            trust_env=False,
        )
        assert metrics.status_code == 200 and "strangler_" in metrics.text
