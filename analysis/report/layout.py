"""A small deterministic force layout (Fruchterman-Reingold) for the services graph.

No numpy, no randomness: nodes start on a circle in sorted order, so the same graph is drawn
the same way every time. Fine for the tens of nodes a services graph has.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

GRAVITY = 0.6


def force_layout(
    nodes: Sequence[str],
    edges: Mapping[tuple[str, str], float],
    *,
    width: float = 1000.0,
    height: float = 700.0,
    iterations: int = 300,
    margin: float = 80.0,
) -> dict[str, tuple[float, float]]:
    """Positions inside ``width`` x ``height`` (keeping ``margin`` free), heavier edges shorter."""
    names = sorted(nodes)
    n = len(names)
    if n == 0:
        return {}
    if n == 1:
        return {names[0]: (width / 2, height / 2)}
    pos = {
        name: [math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)]
        for i, name in enumerate(names)
    }
    strongest = max(edges.values(), default=1.0) or 1.0
    springs = [
        (a, b, 0.5 + w / strongest)
        for (a, b), w in sorted(edges.items())
        if a != b and a in pos and b in pos
    ]
    k = math.sqrt(4.0 / n)  # ideal distance in a [-1, 1]^2 box
    temperature = 0.2
    for _ in range(iterations):
        shift = {name: [0.0, 0.0] for name in names}
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                dx, dy = pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]
                dist = max(math.hypot(dx, dy), 1e-3)
                push = k * k / dist
                shift[a][0] += dx / dist * push
                shift[a][1] += dy / dist * push
                shift[b][0] -= dx / dist * push
                shift[b][1] -= dy / dist * push
        for a, b, strength in springs:
            dx, dy = pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]
            dist = max(math.hypot(dx, dy), 1e-3)
            pull = dist * dist / k * strength
            shift[a][0] -= dx / dist * pull
            shift[a][1] -= dy / dist * pull
            shift[b][0] += dx / dist * pull
            shift[b][1] += dy / dist * pull
        for name in names:  # gravity keeps unconnected services (the library) near the rest
            shift[name][0] -= pos[name][0] * GRAVITY * k
            shift[name][1] -= pos[name][1] * GRAVITY * k
            dx, dy = shift[name]
            length = max(math.hypot(dx, dy), 1e-9)
            step = min(length, temperature)
            pos[name][0] += dx / length * step
            pos[name][1] += dy / length * step
        temperature = max(temperature * 0.985, 0.002)
    return _fit(pos, width, height, margin)


def _fit(
    pos: Mapping[str, list[float]], width: float, height: float, margin: float
) -> dict[str, tuple[float, float]]:
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span_x = max(xs) - min(xs) or 1.0
    span_y = max(ys) - min(ys) or 1.0
    scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
    off_x = (width - scale * span_x) / 2
    off_y = (height - scale * span_y) / 2
    return {
        name: (
            round(off_x + (p[0] - min(xs)) * scale, 1),
            round(off_y + (p[1] - min(ys)) * scale, 1),
        )
        for name, p in pos.items()
    }
