"""pyproject.toml's metadata is the kind setuptools builds without warnings (issue 8).

A ``license = { text = ... }`` table made every ``make install`` print setuptools'
"`project.license` as a TOML table is deprecated" block, four times. PEP 639's form is
an SPDX expression plus ``license-files``, which setuptools reads from version 77 on.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_license_is_an_spdx_expression_with_its_file() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    assert project["license"] == "MIT"
    assert [path for path in project["license-files"] if not (ROOT / path).is_file()] == []
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    (setuptools,) = [r for r in pyproject["build-system"]["requires"] if "setuptools" in r]
    minimum = re.fullmatch(r"setuptools>=(\d+)", setuptools)
    assert minimum and int(minimum[1]) >= 77, setuptools
