"""report.json is written by ``indented``: the very text ``json.dumps(indent=2)`` gives."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from analysis.report.jsontext import indented


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        "plain",
        {"nested": [{"a": []}, {"b": {}}, [[], [1]]], "tuple": (1, (2, "x"))},
        {"floats": [0.1, 1e16, -0.0, 1e-7, 298.5, math.nan, math.inf, -math.inf]},
        {"text": ["é", "\u2603\U0001f600", '\x00"\\', "\n\t"], "ints": [0, -3, 2**70]},
        {3: "int key", 2.5: "float key", True: "bool key", None: "null key"},
        [None, True, False, 0, 1.0],
    ],
)
def test_the_same_text_as_json_dumps(value: Any) -> None:
    assert indented(value) == json.dumps(value, indent=2)


def test_what_json_cannot_write_is_refused_the_same_way() -> None:
    with pytest.raises(TypeError):
        indented({"set": {1, 2}})
    with pytest.raises(TypeError):
        indented({(1, 2): "tuple key"})
