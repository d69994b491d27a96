"""A flow file recorded through the mitmproxy engine replays through ``strangler compare``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from strangler_proxy.store import open_store
from tests.conftest import RunningServer
from tests.strangler_proxy.mitm.conftest import mitmdump

STRANGLER = Path(sys.executable).with_name("strangler")
PATHS = ["/api/catalog/products/1/", "/api/catalog/categories/", "/api/catalog/products/1/prices/"]


def test_recorded_flows_show_the_same_findings(
    tmp_path: Path, mitm_env: Path, monolith_server: RunningServer, service: str
) -> None:
    store_url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    open_store(store_url, create=True).close()  # no routes: the monolith answers everything
    flows = tmp_path / "recorded.mitm"
    with mitmdump(
        mitm_env, tmp_path, monolith_server.base_url, store_url, "-w", str(flows)
    ) as mitm:
        for path in PATHS:
            assert httpx.get(mitm.base_url + path).status_code == 200
    done = subprocess.run(
        [STRANGLER, "compare", "--monolith", monolith_server.base_url, "--service", service,
         "--requests", str(flows), "--json", "out.json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    found = {
        r["path"]: (r["verdict"], [d["path"] for d in r["differences"]])
        for r in json.loads((tmp_path / "out.json").read_text())["requests"]
    }
    assert found["/api/catalog/products/1/"] == ("mismatch", ["$.name", "$.title"])
    assert found["/api/catalog/categories/"] == ("mismatch", ["$.count"])
    assert found["/api/catalog/products/1/prices/"] == ("match", [])
    assert found["/health/"] == ("match", [])  # mitmdump's own health check was recorded too


def test_an_unreadable_flow_file_is_a_clear_error(tmp_path: Path, mitm_env: Path) -> None:
    (tmp_path / "broken.mitm").write_bytes(b"12:not a flow,")
    done = subprocess.run(
        [STRANGLER, "compare", "--monolith", "http://127.0.0.1:1", "--service",
         "http://127.0.0.1:2", "--requests", "broken.mitm"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "cannot read flow file" in done.stderr
