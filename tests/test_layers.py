"""The import contracts in pyproject.toml (``lint-imports``) catch what they promise to.

Each case copies ``strangler_proxy`` into a temporary tree, plants one import that breaks a
rule (or two throwaway extracted services, for the contract that has no service to guard
yet) and runs the real ``lint-imports`` with the project's own contracts over it. The tree
has the chassis the services and the monolith import, as the real one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

LAYERS = "strangler_proxy layers"
NO_CYCLES = "No import cycles between sibling modules"
PURE = "The pure core does no I/O"
ANALYZER = "Only the command line runs the analyzer"
TOOLKIT = "Extracted services never import the toolkit"
SERVICES = "Extracted services never import each other"
CHASSIS = "from extracted_services.chassis import logs"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts over ``tree`` (not the work tree)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    lines = ["[tool.importlinter]", f"root_packages = {config['root_packages']!r}"]
    lines.append("include_external_packages = true")
    for contract in config["contracts"]:
        lines.append("[[tool.importlinter.contracts]]")
        lines += [f"{key} = {value!r}" for key, value in contract.items()]
    (tree / "importlinter.toml").write_text("\n".join(lines).replace("True", "true") + "\n")
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", "importlinter.toml", "--no-cache"],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of strangler_proxy beside empty root packages the contracts name."""
    tree = tmp_path_factory.mktemp("pristine")
    shutil.copytree(
        ROOT / "strangler_proxy",
        tree / "strangler_proxy",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for package in ("analysis", "legacy_monolith", "extracted_services"):
        (tree / package).mkdir()
        (tree / package / "__init__.py").write_text("")
    # the chassis under the services and the monolith, as the real tree has it
    plant(tree, "extracted_services/chassis/logs.py", "import logging")
    plant(tree, "extracted_services/catalog/settings.py", CHASSIS)
    plant(tree, "extracted_services/notifications/settings.py", CHASSIS)
    plant(tree, "legacy_monolith/shop/settings.py", CHASSIS)
    return tree


@pytest.fixture
def tree(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(pristine, copy)
    return copy


def plant(tree: Path, module: str, line: str) -> None:
    path = tree / module
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(tree).parents:
        if parent != Path(".") and not (tree / parent / "__init__.py").exists():
            (tree / parent / "__init__.py").write_text("")
    with path.open("a") as file:
        file.write(f"\n{line}\n")


def broken_part(result: subprocess.CompletedProcess[str]) -> str:
    """What ``lint-imports`` says after "Broken contracts" (the contracts and their imports)."""
    return result.stdout.partition("Broken contracts")[2]


def test_the_tree_as_it_is_keeps_every_contract(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract", "names"),
    [
        (  # the middle layer's parts are independent of each other
            "strangler_proxy/engine/server.py",
            "import strangler_proxy.admin",
            LAYERS,
            "strangler_proxy.engine.server -> strangler_proxy.admin",
        ),
        (  # a lower layer never imports a higher one
            "strangler_proxy/balancing/pool.py",
            "import strangler_proxy.engine.upstream",
            LAYERS,
            "strangler_proxy.balancing.pool -> strangler_proxy.engine.upstream",
        ),
        (  # the cycle exchange <-> front, gone since exchange has its Connection protocol
            "strangler_proxy/engine/exchange.py",
            "import strangler_proxy.engine.front",
            NO_CYCLES,
            "No cycles are allowed in strangler_proxy.engine.",
        ),
        (
            "strangler_proxy/routing/table.py",
            "import asyncio",
            PURE,
            "strangler_proxy.routing.table -> asyncio",
        ),
        (  # the store once ran the analyzer itself (routes import --source)
            "strangler_proxy/store/importing.py",
            "import analysis",
            ANALYZER,
            "strangler_proxy.store.importing -> analysis",
        ),
        (  # a service is an app the proxy routes to: it knows nothing of the toolkit
            "extracted_services/catalog/api.py",
            "import strangler_proxy.routing",
            TOOLKIT,
            "extracted_services.catalog.api -> strangler_proxy.routing",
        ),
    ],
)
def test_a_planted_import_breaks_its_contract(
    tree: Path, module: str, line: str, contract: str, names: str
) -> None:
    plant(tree, module, line)
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    report = broken_part(result)
    assert contract in report and names in report, result.stdout


def test_extracted_services_that_import_each_other_break_the_contract(tree: Path) -> None:
    plant(tree, "extracted_services/catalog/models.py", "PRODUCTS = ()")
    plant(tree, "extracted_services/orders/views.py", "import os")
    assert lint_imports(tree).returncode == 0  # two services, each on its own: kept

    plant(
        tree, "extracted_services/orders/views.py", "from extracted_services.catalog import models"
    )
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    report = broken_part(result)
    assert SERVICES in report
    assert "extracted_services.orders.views -> extracted_services.catalog.models" in report


def test_the_readme_shows_the_layers_the_contract_keeps() -> None:
    """README's layer table names every package of the contract's layers, top to bottom."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["name"].startswith(LAYERS))
    table = (ROOT / "README.md").read_text().split("| layer | packages |", 1)[1]
    rows = table.split("\n\n", 1)[0].splitlines()[2:]
    shown = [name for row in rows for name in re.findall(r"`(\w+)`", row.split("|", 2)[2])]
    assert shown == [name for layer in contract["layers"] for name in layer.split(" | ")]
