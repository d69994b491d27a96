"""Helpers that drive the real ``manage.py`` of the monolith in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MANAGE = [sys.executable, str(ROOT / "legacy_monolith" / "manage.py")]
SHOP_DATA = [
    "auth.user",
    "customers",
    "catalog",
    "inventory",
    "orders",
    "payments",
    "shipping",
    "reviews",
    "notifications",
]


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MANAGE, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def dump(env: dict[str, str]) -> list[dict[str, Any]]:
    """Every shop row as fixtures, in a stable order."""
    result = manage(env, "dumpdata", *SHOP_DATA, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    for row in rows:  # many-to-many ids come in whatever order the database likes
        for name, value in row["fields"].items():
            if isinstance(value, list):
                row["fields"][name] = sorted(value)
    return sorted(rows, key=lambda r: (r["model"], r["pk"]))
