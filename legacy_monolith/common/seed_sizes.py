"""How much data each ``seed_shop --size`` makes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedSize:
    name: str
    categories: int
    products: int
    warehouses: int
    customers: int
    orders: int
    lines_per_order: tuple[int, int]
    reviews: int

    def __post_init__(self) -> None:
        low, high = self.lines_per_order
        if not 1 <= low <= high:
            raise ValueError(f"{self.name}: lines_per_order must be 1 <= low <= high")


SIZES: dict[str, SeedSize] = {
    s.name: s
    for s in (
        SeedSize("tiny", 4, 16, 2, 6, 8, (1, 3), 12),
        SeedSize("small", 8, 80, 3, 40, 80, (1, 4), 100),
        SeedSize("default", 20, 400, 4, 300, 1200, (1, 4), 1500),
        # at least 34_000 * 3 = 102_000 order lines
        SeedSize("large", 40, 3000, 6, 4000, 34_000, (3, 5), 20_000),
    )
}
