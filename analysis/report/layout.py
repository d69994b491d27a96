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
    pairs = [(a, b, w) for (a, b), w in sorted(edges.items()) if a != b and a in pos and b in pos]
    # dense graphs would collapse into a ball: weaken every spring by the mean degree
    damping = 1.0 + 2.0 * len(pairs) / n
    springs = [(a, b, (0.5 + w / strongest) / damping * 2) for a, b, w in pairs]
    k = math.sqrt(4.0 / n)  # ideal distance in a [-1, 1]^2 box
    index = {name: i for i, name in enumerate(names)}
    xs = [pos[name][0] for name in names]
    ys = [pos[name][1] for name in names]
    links = [(index[a], index[b], strength) for a, b, strength in springs]
    hypot, kk = math.hypot, k * k
    temperature = 0.2
    # The arithmetic of the plain version (dicts of [x, y]) in the same order, on lists:
    # the same floats, three times faster.
    for _ in range(iterations):
        sx = [0.0] * n
        sy = [0.0] * n
        for i in range(n):
            xi, yi = xs[i], ys[i]
            for j in range(i + 1, n):
                dx, dy = xi - xs[j], yi - ys[j]
                dist = max(hypot(dx, dy), 1e-3)
                push = kk / dist
                fx, fy = dx / dist * push, dy / dist * push
                sx[i] += fx
                sy[i] += fy
                sx[j] -= fx
                sy[j] -= fy
        for i, j, strength in links:
            dx, dy = xs[i] - xs[j], ys[i] - ys[j]
            dist = max(hypot(dx, dy), 1e-3)
            pull = dist * dist / k * strength
            fx, fy = dx / dist * pull, dy / dist * pull
            sx[i] -= fx
            sy[i] -= fy
            sx[j] += fx
            sy[j] += fy
        for i in range(n):  # gravity keeps unconnected services (the library) near the rest
            dx = sx[i] - xs[i] * GRAVITY * k
            dy = sy[i] - ys[i] * GRAVITY * k
            length = max(hypot(dx, dy), 1e-9)
            step = min(length, temperature)
            xs[i] += dx / length * step
            ys[i] += dy / length * step
        temperature = max(temperature * 0.985, 0.002)
    pos = {name: [xs[i], ys[i]] for i, name in enumerate(names)}
    return _fit(_pull_in_outliers(pos), width, height, margin)


def _pull_in_outliers(pos: dict[str, list[float]]) -> dict[str, list[float]]:
    """A loosely attached service would push the rest into a corner: bring far nodes closer
    (distances beyond twice the median shrink to their cube root), keeping their direction."""
    cx = sum(p[0] for p in pos.values()) / len(pos)
    cy = sum(p[1] for p in pos.values()) / len(pos)
    dists = sorted(math.hypot(p[0] - cx, p[1] - cy) for p in pos.values())
    limit = 2 * dists[len(dists) // 2] or 1.0
    out = {}
    for name, (x, y) in pos.items():
        d = math.hypot(x - cx, y - cy)
        scale = 1.0 if d <= limit else limit * (d / limit) ** (1 / 3) / d
        out[name] = [cx + (x - cx) * scale, cy + (y - cy) * scale]
    return out


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


def separate(
    pos: Mapping[str, tuple[float, float]],
    radius: Mapping[str, float],
    *,
    width: float,
    height: float,
    gap: float = 24.0,
    rounds: int = 200,
) -> dict[str, tuple[float, float]]:
    """Push overlapping circles apart (keeping them on the canvas), deterministically."""
    names = sorted(pos)
    at = {n: [pos[n][0], pos[n][1]] for n in names}
    for _ in range(rounds):
        moved = False
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                dx, dy = at[b][0] - at[a][0], at[b][1] - at[a][1]
                dist = math.hypot(dx, dy)
                need = radius[a] + radius[b] + gap
                if dist >= need:
                    continue
                if dist < 1e-6:  # the same spot: split along a fixed direction
                    dx, dy, dist = 1.0, 0.0, 1.0
                push = (need - dist) / 2
                at[a][0] -= dx / dist * push
                at[a][1] -= dy / dist * push
                at[b][0] += dx / dist * push
                at[b][1] += dy / dist * push
                moved = True
        for n in names:
            r = radius[n] + 4
            at[n][0] = min(max(at[n][0], r), width - r)
            at[n][1] = min(max(at[n][1], r), height - r - 18)  # room for the label
        if not moved:
            break
    return {n: (round(at[n][0], 1), round(at[n][1], 1)) for n in names}
