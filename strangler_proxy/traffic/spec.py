"""The settings of one traffic run, checked once (pure).

>>> TrafficSpec.parse(target="http://127.0.0.1:8000/", duration=5, rate=20).base_url
'http://127.0.0.1:8000'
>>> try:
...     TrafficSpec.parse(target="127.0.0.1:8000", duration=5, rate=20)
... except SpecError as exc:
...     print(exc)
--target: expected an http(s):// URL such as http://127.0.0.1:8000, got '127.0.0.1:8000'
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from strangler_proxy.traffic.pacing import max_requests

#: The seeded demo accounts (``manage.py seed_shop``) the virtual users sign in as.
DEMO_PASSWORD = "shop-demo-pass"


def demo_username(index: int) -> str:
    """``customer0001`` for index 0: the seeded customers, one per virtual user."""
    return f"customer{index + 1:04d}"


class SpecError(ValueError):
    """A bad option; ``option`` names it (``--rate``)."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


@dataclass(frozen=True)
class TrafficSpec:
    base_url: str
    duration: float
    rate: float
    seed: int = 1
    users: int = 10
    concurrency: int = 32
    timeout: float = 10.0
    grace: float = 2.0
    password: str = DEMO_PASSWORD

    @property
    def max_requests(self) -> int:
        return max_requests(self.rate, self.duration)

    @classmethod
    def parse(
        cls,
        *,
        target: str,
        duration: float,
        rate: float,
        seed: int = 1,
        users: int = 10,
        concurrency: int = 32,
        timeout: float = 10.0,
    ) -> TrafficSpec:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SpecError(
                "--target",
                f"expected an http(s):// URL such as http://127.0.0.1:8000, got {target!r}",
            )
        if parts.query or parts.fragment:
            raise SpecError(
                "--target", f"expected a base URL without ?query or #fragment: {target!r}"
            )
        for option, value in (("--duration", duration), ("--rate", rate), ("--timeout", timeout)):
            if not value > 0:
                raise SpecError(
                    option, f"must be a positive number of seconds/requests, got {value}"
                )
        if users < 1:
            raise SpecError("--users", f"must be at least 1, got {users}")
        if concurrency < 1:
            raise SpecError("--concurrency", f"must be at least 1, got {concurrency}")
        if max_requests(rate, duration) < 1:
            raise SpecError("--rate", f"{rate}/s for {duration} s sends no request at all")
        return cls(
            base_url=target.rstrip("/"),
            duration=float(duration),
            rate=float(rate),
            seed=seed,
            users=users,
            concurrency=concurrency,
            timeout=float(timeout),
            grace=min(2.0, float(timeout)),
        )
