"""The catalog service answers its read endpoints as the monolith does: ``strangler compare``
replays requests.yaml (lists, filters, ordering, pages, details, prices, reviews, 404s and
400s) against both and finds no mismatch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import yaml

from tests.conftest import RunningServer
from tests.extracted_services.catalog.conftest import Catalog

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
STRANGLER = Path(sys.executable).parent / "strangler"

# The monolith lists no tag order (a set).
RULES = """\
[global]
unordered = [{ path = "$.results[*].tags" }, { path = "$.tags" }]
"""


def test_compare_finds_no_mismatch(
    monolith_server: RunningServer, catalog: Catalog, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    report = tmp_path / "out.json"
    # One Host for both, as the proxy forwards the client's: the pages' next/previous links
    # are built from it.
    host = urlsplit(monolith_server.base_url).netloc
    done = subprocess.run(
        [
            *(STRANGLER, "compare", "--monolith", monolith_server.base_url),
            *("--service", catalog.base_url, "--requests", HERE / "requests.yaml"),
            *("--rules", rules, "--header", f"Host: {host}", "--json", report),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    asked = len(yaml.safe_load((HERE / "requests.yaml").read_text())["requests"])
    totals = json.loads(report.read_text())["totals"]
    assert (totals["match"], totals["mismatch"], totals["error"]) == (asked, 0, 0)


def test_compare_finds_no_mismatch_on_the_openapi_requests_of_the_catalog(
    monolith_server: RunningServer, catalog: Catalog, tmp_path: Path
) -> None:
    """Every GET operation of the monolith's OpenAPI schema under the paths the catalog
    took over (its availability stays at the monolith), with ids from the lists."""
    report = tmp_path / "out.json"
    host = urlsplit(monolith_server.base_url).netloc
    paths = ("--path", "/api/catalog/*", "--path", "/api/reviews/*")
    done = subprocess.run(
        [
            *(STRANGLER, "compare", "--monolith", monolith_server.base_url),
            *("--service", catalog.base_url, "--openapi", *paths),
            *("--skip-path", "*/availability/", "--rules", ROOT / "strangler-rules.toml"),
            *("--header", f"Host: {host}", "--json", report),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    verdicts = json.loads(report.read_text())
    totals = verdicts["totals"]
    assert totals["match"] >= 8 and (totals["mismatch"], totals["error"]) == (0, 0), totals


def test_a_missing_product_is_a_404_in_the_envelope(catalog: Catalog) -> None:
    answer = httpx.get(f"{catalog.base_url}/api/catalog/products/999999/")
    assert answer.status_code == 404
    assert answer.json() == {
        "error": {
            "status": 404,
            "code": "not_found",
            "message": "No ActiveProduct matches the given query.",
        }
    }


def test_an_unknown_path_is_a_404_in_the_envelope(catalog: Catalog) -> None:
    answer = httpx.get(f"{catalog.base_url}/api/catalog/nothing/")
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == "No endpoint at /api/catalog/nothing/."


def test_availability_stays_at_the_monolith(catalog: Catalog) -> None:
    """Stock is the monolith's: the route table keeps this endpoint there, and the service
    answers a request that reaches it anyway with a 404 in the envelope."""
    answer = httpx.get(f"{catalog.base_url}/api/catalog/products/1/availability/")
    assert answer.status_code == 404
    assert answer.json()["error"] == {
        "status": 404,
        "code": "not_found",
        "message": "No endpoint at /api/catalog/products/1/availability/.",
    }


ANONYMOUS_WRITES = """\
requests:
  - {method: POST, path: /api/catalog/categories/, json: {name: Anon, slug: anon}}
  - {method: PUT, path: /api/catalog/categories/1/, json: {name: Anon, slug: anon}}
  - {method: PATCH, path: /api/catalog/products/1/, json: {price: "1.00"}}
  - {method: DELETE, path: /api/catalog/products/1/}
  - {method: POST, path: /api/reviews/, json: {product: 1, rating: 5, title: Anon}}
  - {method: PATCH, path: /api/reviews/1/, json: {title: Anon}}
  - {method: POST, path: /api/reviews/1/helpful/}
  - method: POST
    path: /api/catalog/products/
    body: "{"
    headers: {Content-Type: application/json}
"""


def test_compare_finds_anonymous_writes_refused_alike(
    monolith_server: RunningServer, catalog: Catalog, tmp_path: Path
) -> None:
    """``strangler compare --allow-writes``: every anonymous write is the same 401 envelope
    (the WWW-Authenticate challenge names each side's own scheme: Token there, Bearer here)."""
    requests = tmp_path / "writes.yaml"
    requests.write_text(ANONYMOUS_WRITES)
    rules = tmp_path / "rules.toml"
    rules.write_text('[global]\nignore_headers = ["www-authenticate"]\n')
    report = tmp_path / "out.json"
    done = subprocess.run(
        [
            *(STRANGLER, "compare", "--monolith", monolith_server.base_url, "--allow-writes"),
            *("--service", catalog.base_url, "--requests", requests),
            *("--rules", rules, "--json", report),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    totals = json.loads(report.read_text())["totals"]
    assert (totals["match"], totals["mismatch"], totals["error"]) == (8, 0, 0)
