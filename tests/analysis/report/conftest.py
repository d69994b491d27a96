from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analysis.propose import propose
from analysis.report import build_report, write_report
from tests.analysis.shop_graph import shop_graph

TRUTH = {
    "shop.catalog": "catalog",
    "api.catalog": "catalog",
    "shop.orders": "orders",
    "shop.payments": "payments",
}


@pytest.fixture
def doc() -> dict[str, Any]:
    graph = shop_graph()
    return build_report(
        graph,
        propose(graph),
        root="shop",
        timings={"parse": 0.25, "total": 0.5},
        broken=[("legacy/py2.py", "SyntaxError: Missing parentheses in call to 'print'", 3)],
        truth=TRUTH,
    )


@pytest.fixture
def written(doc: dict[str, Any], tmp_path: Path) -> Path:
    write_report(doc, tmp_path / "report")
    return tmp_path / "report"
