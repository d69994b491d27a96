"""The boundary contracts, checked by the real import-linter on a small literal project."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from analysis.report import importlinter_contracts, service_prefixes, tach_toml

SERVICES = {
    "shop.catalog.models": "catalog",
    "shop.catalog.views": "catalog",
    "api.catalog": "catalog",
    "shop.orders.models": "orders",
    "shop.orders.views": "orders",
    "shop.common": "shared",
}


def test_each_service_is_described_by_its_fewest_package_prefixes() -> None:
    assert service_prefixes(SERVICES) == {
        "catalog": ["api", "shop.catalog"],
        "orders": ["shop.orders"],
        "shared": ["shop.common"],
    }


def test_tach_marks_the_shared_library_as_a_utility() -> None:
    config = tomllib.loads(tach_toml(SERVICES))

    modules = {m["path"]: m for m in config["modules"]}
    assert modules["shop.common"]["utility"] is True
    assert modules["api"]["depends_on"] == ["shop.catalog"]  # the same service
    assert modules["shop.orders"]["depends_on"] == []


def write_project(root: Path, views_source: str) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/common.py": "",
        "shop/catalog/__init__.py": "",
        "shop/catalog/models.py": "from shop import common\n",
        "shop/catalog/views.py": views_source,
        "shop/orders/__init__.py": "",
        "shop/orders/models.py": "",
        "shop/orders/views.py": "from shop.orders import models\n",
        "api/__init__.py": "",
        "api/catalog.py": "from shop.catalog import models\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / ".importlinter").write_text(importlinter_contracts(SERVICES))


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(binary), "--config", ".importlinter", "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )


def test_code_respecting_the_boundaries_passes_import_linter(tmp_path: Path) -> None:
    write_project(tmp_path, "from shop.catalog import models\nfrom shop import common\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_an_import_across_the_boundary_breaks_the_contract(tmp_path: Path) -> None:
    write_project(tmp_path, "from shop.orders import models\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1
    assert "Service catalog uses other services only through their APIs BROKEN" in result.stdout
    assert "shop.catalog.views -> shop.orders.models" in result.stdout
