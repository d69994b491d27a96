"""``strangler compare`` against the real monolith and a service that drifts on purpose."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser import Chromium, chromium_binary
from tests.conftest import RunningServer
from tests.strangler_proxy.proxy_stack import standin

STRANGLER = Path(sys.executable).with_name("strangler")
REQUESTS = """
requests:
  - GET /api/catalog/products/
  - GET /api/catalog/products/1/
  - GET /api/catalog/categories/
  - GET /api/reviews/
  - GET /api/catalog/products/1/prices/
  - method: POST
    path: /api/orders/cart/items/
    json: {product: 1, quantity: 1}
"""


def compare(
    tmp_path: Path, monolith: str, service: str, *args: str
) -> tuple[int, dict[str, Any], str]:
    (tmp_path / "requests.yaml").write_text(REQUESTS)
    done = subprocess.run(
        [
            STRANGLER,
            "compare",
            "--monolith",
            monolith,
            "--service",
            service,
            "--requests",
            "requests.yaml",
            "--json",
            "out.json",
            *args,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = (
        json.loads((tmp_path / "out.json").read_text()) if (tmp_path / "out.json").exists() else {}
    )
    return done.returncode, report, done.stdout + done.stderr


def verdicts(report: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    return {
        r["path"]: (r["verdict"], sorted({d["path"] for d in r["differences"]}))
        for r in report["requests"]
    }


def test_each_drift_is_found_at_its_path(
    tmp_path: Path, monolith_server: RunningServer, service: str
) -> None:
    code, report, output = compare(tmp_path, monolith_server.base_url, service)
    assert code == 1, output
    found = verdicts(report)
    assert found["/api/catalog/products/1/"] == ("mismatch", ["$.name", "$.title"])
    assert found["/api/catalog/categories/"] == ("mismatch", ["$.count"])
    assert found["/api/catalog/products/1/prices/"] == ("match", [])
    verdict, paths = found["/api/catalog/products/"]
    assert verdict == "mismatch" and "$.results[0].id" in paths
    verdict, paths = found["/api/reviews/"]
    assert verdict == "mismatch" and paths and all(p.endswith(".created_at") for p in paths)
    assert report["skipped"] == [
        {"method": "POST", "path": "/api/orders/cart/items/", "why": "writes need --allow-writes"}
    ]
    assert report["totals"]["mismatch"] == 4
    assert "mismatch rate 80.00% is above --max-mismatch-rate 0.00%" in output


def test_rules_silence_what_is_not_a_real_difference(
    tmp_path: Path, monolith_server: RunningServer, service: str
) -> None:
    (tmp_path / "rules.toml").write_text(
        '[global]\ntimestamps = ["$.results[*].created_at"]\n'
        'unordered = [{ path = "$.results", key = "id" }]\n'
    )
    code, report, output = compare(
        tmp_path, monolith_server.base_url, service, "--rules", "rules.toml", "--junit", "junit.xml"
    )
    found = verdicts(report)
    assert found["/api/catalog/products/"] == ("match", [])
    assert found["/api/reviews/"] == ("match", [])
    assert report["totals"]["mismatch"] == 2  # the renamed field and the wrong total stay
    junit = (tmp_path / "junit.xml").read_text()
    assert junit.count("<failure") == 2 and junit.count("<skipped") == 1
    code, report, output = compare(
        tmp_path,
        monolith_server.base_url,
        service,
        "--rules",
        "rules.toml",
        "--max-mismatch-rate",
        "0.5",
    )
    assert code == 0, output


def test_an_unreachable_service_is_an_error_per_request(
    tmp_path: Path, monolith_server: RunningServer
) -> None:
    code, report, _ = compare(tmp_path, monolith_server.base_url, "http://127.0.0.1:9")
    assert code == 1
    assert {r["verdict"] for r in report["requests"]} == {"error"}
    assert (
        "ConnectError" in report["requests"][0]["error"]
        and "127.0.0.1:9" in report["requests"][0]["error"]
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.yaml", "requests:\n  - FETCH /x\n", "'FETCH /x' is not 'METHOD /path'"),
        ("bad.har", '{"log": {}}', "not a HAR file"),
        ("empty.yaml", "requests: []\n", "no requests in it"),
    ],
)
def test_bad_request_files_are_clear_errors(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text)
    done = subprocess.run(
        [STRANGLER, "compare", "--monolith", "http://127.0.0.1:1",
         "--service", "http://127.0.0.1:2", "--requests", name],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"{name}: " in done.stderr and message in done.stderr


def test_the_html_report_works_offline_in_a_real_browser(
    tmp_path: Path, monolith_server: RunningServer, service: str
) -> None:
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (make browser, or apt-get install chromium)")
    code, _, output = compare(tmp_path, monolith_server.base_url, service, "--html", "out.html")
    assert code == 1, output
    page_file = tmp_path / "out.html"
    assert "<script src" not in page_file.read_text() and "<link" not in page_file.read_text()
    with Chromium(binary, tmp_path / "profile") as browser, browser.new_page() as page:
        page.open(page_file.as_uri(), ready="document.body?.dataset.ready === 'yes'")
        assert page.evaluate("document.querySelectorAll('#requests > tr').length") == 5
        page.evaluate("document.querySelector('[data-filter=mismatch]').click()")
        shown = page.evaluate(
            "[...document.querySelectorAll('#requests > tr')].map(r => r.dataset.verdict)"
        )
        assert shown == ["mismatch"] * 4
        assert page.evaluate("document.body.textContent.includes('$.title')")


def test_openapi_generates_evidence_for_routes_without_traffic(
    tmp_path: Path, monolith_server: RunningServer, service: str
) -> None:
    """Every GET operation of the monolith's /api/schema/, with ids from its lists."""
    done = subprocess.run(
        [STRANGLER, "compare", "--monolith", monolith_server.base_url, "--service", service,
         "--openapi", "--json", "out.json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    found = verdicts(report)
    assert found["/api/catalog/categories/"] == ("mismatch", ["$.count"])
    details = [p for p in found if re.fullmatch(r"/api/catalog/products/\d+/", p)]
    assert len(details) == 3  # three ids from the product list
    assert all(found[p] == ("mismatch", ["$.name", "$.title"]) for p in details)
    assert any(re.fullmatch(r"/api/catalog/products/\d+/prices/", p) for p in found)
    assert "/api/orders/" in found  # asked anonymously: both sides say 401 alike
    assert found["/api/orders/"] == ("match", [])


def test_openapi_needs_a_schema(tmp_path: Path, service: str) -> None:
    done = subprocess.run(
        [STRANGLER, "compare", "--monolith", service + "/nothing-here", "--service", service,
         "--openapi"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "/api/schema/?format=json answered 404, not a schema" in done.stderr


def test_a_huge_answer_is_an_error_not_a_comparison(tmp_path: Path) -> None:
    """An answer past 16 MB is not read whole (nor compared): the request's verdict says so."""
    (tmp_path / "huge.yaml").write_text("requests:\n  - GET /big?size=17000000\n")
    with standin("monolith", tmp_path) as monolith, standin("catalog", tmp_path) as catalog:
        done = subprocess.run(
            [STRANGLER, "compare", "--monolith", monolith.url, "--service", catalog.url,
             "--requests", "huge.yaml", "--json", "out.json"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    [request] = json.loads((tmp_path / "out.json").read_text())["requests"]
    assert (request["verdict"], request["error"]) == ("error", "monolith: answer larger than 16 MB")
