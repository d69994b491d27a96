"""The force layout: deterministic, inside the canvas, nodes apart."""

from __future__ import annotations

import itertools
import math

from analysis.report.layout import force_layout

NODES = [f"s{i}" for i in range(9)]
EDGES = {("s0", "s1"): 5.0, ("s1", "s2"): 1.0, ("s3", "s4"): 2.0, ("s2", "s0"): 3.0}


def test_same_graph_same_drawing() -> None:
    assert force_layout(NODES, EDGES) == force_layout(list(reversed(NODES)), EDGES)


def test_every_node_is_inside_the_canvas_and_apart_from_the_others() -> None:
    pos = force_layout(NODES, EDGES, width=1000, height=700, margin=80)

    assert all(80 <= x <= 920 and 80 <= y <= 620 for x, y in pos.values())
    closest = min(math.dist(pos[a], pos[b]) for a, b in itertools.combinations(NODES, 2))
    assert closest > 60


def test_one_node_sits_in_the_middle() -> None:
    assert force_layout(["only"], {}, width=1000, height=700) == {"only": (500.0, 350.0)}


def test_overlapping_circles_are_pushed_apart_and_stay_on_the_canvas() -> None:
    from analysis.report.layout import separate

    pos = {"big": (500.0, 350.0), "small": (510.0, 350.0), "same": (500.0, 350.0)}
    radius = {"big": 48.0, "small": 14.0, "same": 20.0}

    out = separate(pos, radius, width=1000, height=700, gap=24)

    for a, b in itertools.combinations(out, 2):
        assert math.dist(out[a], out[b]) >= radius[a] + radius[b] + 24 - 0.5
    assert all(0 < x < 1000 and 0 < y < 700 for x, y in out.values())
