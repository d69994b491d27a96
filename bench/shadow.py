"""``python -m bench.shadow``: what shadowing costs the clients, measured as they meet it.

Two ``strangler proxy run`` engines in front of the same real monolith (gunicorn 1x8, as
in ``bench.proxy``): one with the routes on the monolith, one with them in shadow mode and
every copy compared and kept as evidence (sample rate 1, the default). The service is
``--service canned`` (default: a tiny server answering the monolith's own answers, so the
figures are the proxy's cost) or ``--service monolith`` (a second monolith process: on a
2-core laptop its Django work competes with the monolith's for the cores, which is then most
of what the clients feel). Each round sends the same fixed-rate GETs (paced,
8 keep-alive connections, below saturation) through both, in turns, for each path: a
product (about 1 KB) and a page of 100 products (about 40 KB). Per path it prints the p50
and p99 of the primary answers in both modes and their ratio (shadow / monolith), as the
median of the rounds with the lowest and highest round. Figures, never pass/fail.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click
import httpx
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.proxy.measure import paced_samples, percentile
from bench.proxy.report import spread_text
from bench.proxy.servers import Server, start_engine, start_monolith
from strangler_proxy.evidence.store import NoEvidence, open_evidence
from strangler_proxy.routing import Mode, Route
from strangler_proxy.stack.process import ManagedProcess, free_port
from strangler_proxy.store import open_store

PATHS = {
    "product (1 KB)": "/api/catalog/products/1/",
    "100 products (40 KB)": "/api/catalog/products/?page_size=100",
}


@dataclass(frozen=True)
class Figures:
    p50_ms: float
    p99_ms: float


def store_with(work: Path, name: str, mode: Mode, service_url: str) -> str:
    """A flag store whose catalog routes are in ``mode`` (the service: ``service_url``)."""
    folder = work / name
    folder.mkdir()
    url = f"sqlite:///{folder / 'flags.sqlite3'}"
    store = open_store(url, create=True)
    try:
        store.register_service("catalog", [service_url], actor="bench")
        service = None if mode is Mode.MONOLITH else "catalog"
        store.upsert_routes(
            [
                Route("product-detail", frozenset({"GET"}), "/api/catalog/products/{pk:int}/",
                      service, mode),
                Route("product-list", frozenset({"GET"}), "/api/catalog/products/", service, mode),
            ],
            actor="bench",
            reason="shadow benchmark",
        )  # fmt: skip
    finally:
        store.close()
    return url


def start_canned(work: Path, monolith: str) -> Server:
    """``bench/canned.py`` answering each benchmark path as the monolith does right now."""
    answers = {}
    for path in PATHS.values():
        answer = httpx.get(monolith + path)
        answers[path] = [answer.status_code, answer.headers["content-type"], answer.text]
    (work / "canned.json").write_text(json.dumps(answers))
    port = free_port()
    argv = [sys.executable, str(Path(__file__).with_name("canned.py")), str(port),
            str(work / "canned.json")]  # fmt: skip
    proc = ManagedProcess("canned service", argv, health_url=f"http://127.0.0.1:{port}/health/",
                          log_path=work / "canned.log")  # fmt: skip
    return Server("canned service", f"http://127.0.0.1:{port}", proc.start())


def measure(server: Server, path: str, rate: float, seconds: float) -> Figures:
    samples, errors = paced_samples(server.url + path, rate=rate, seconds=seconds)
    if errors:
        raise click.ClickException(f"{server.name}: {errors} failed requests on {path}")
    return Figures(percentile(samples, 0.5) * 1000, percentile(samples, 0.99) * 1000)


def compared(work: Path) -> int:
    try:
        store = open_evidence(f"sqlite:///{work / 'shadow' / 'evidence.sqlite3'}")
    except NoEvidence:
        return 0
    try:
        return len(store.samples())
    finally:
        store.close()


@click.command()
@click.option("--rounds", default=5, show_default=True)
@click.option("--rate", default=100.0, show_default=True, help="req/s, through each proxy")
@click.option("--seconds", default=5.0, show_default=True, help="per path, mode and round")
@click.option(
    "--service",
    "service_kind",
    type=click.Choice(["canned", "monolith"]),
    default="canned",
    show_default=True,
    help="What answers the shadow copies.",
)
def main(rounds: int, rate: float, seconds: float, service_kind: str) -> None:
    console = Console()
    with tempfile.TemporaryDirectory(prefix="bench-shadow-") as folder:
        work = Path(folder)
        monolith = start_monolith(work / "a", workers=1, threads=8)
        service = (
            start_monolith(work / "b", workers=1, threads=8)
            if service_kind == "monolith"
            else start_canned(work, monolith.url)
        )
        plain = start_engine(
            work, monolith.url, store_with(work, "plain", Mode.MONOLITH, service.url), 1, "/health/"
        )
        shadowed = start_engine(
            work, monolith.url, store_with(work, "shadow", Mode.SHADOW, service.url), 1, "/health/"
        )
        try:
            figures: dict[tuple[str, str], list[Figures]] = {}
            for n in range(rounds):
                console.print(f"round {n + 1}/{rounds}", style="dim")
                for label, path in PATHS.items():
                    for mode, server in (("monolith", plain), ("shadow", shadowed)):
                        figures.setdefault((label, mode), []).append(
                            measure(server, path, rate, seconds)
                        )
            kept = compared(work)
        finally:
            for server in (shadowed, plain, service, monolith):
                server.process.stop()
    table = Table(title=escape(f"Shadow mode against monolith mode at {rate:g} req/s: "
                               f"median of {rounds} rounds [lowest-highest]"))  # fmt: skip
    for column in ("path", "p50 monolith", "p50 shadow", "p50 ratio", "p99 monolith",
                   "p99 shadow", "p99 ratio"):  # fmt: skip
        table.add_column(column, justify="left" if column == "path" else "right", no_wrap=True)
    for label in PATHS:
        base, mine = figures[(label, "monolith")], figures[(label, "shadow")]
        table.add_row(
            label,
            _escaped([f.p50_ms for f in base], "{:.2f} ms"),
            _escaped([f.p50_ms for f in mine], "{:.2f} ms"),
            _escaped([m.p50_ms / b.p50_ms for b, m in zip(base, mine, strict=True)], "{:.3f}"),
            _escaped([f.p99_ms for f in base], "{:.2f} ms"),
            _escaped([f.p99_ms for f in mine], "{:.2f} ms"),
            _escaped([m.p99_ms / b.p99_ms for b, m in zip(base, mine, strict=True)], "{:.3f}"),
        )
    console.print(table)
    for label in PATHS:  # the same figures as lines, for notes
        base, mine = figures[(label, "monolith")], figures[(label, "shadow")]
        p50 = [m.p50_ms / b.p50_ms for b, m in zip(base, mine, strict=True)]
        p99 = [m.p99_ms / b.p99_ms for b, m in zip(base, mine, strict=True)]
        console.print(escape(f"{label}: shadow/monolith p50 {_escaped(p50, '{:.3f}')}, "
                             f"p99 {_escaped(p99, '{:.3f}')}"), soft_wrap=True)  # fmt: skip
    console.print(f"service: {service_kind}; {kept} comparisons kept as evidence; "
                  f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip


def _escaped(values: list[float], shape: str) -> str:
    return escape(spread_text(values, shape))  # rich would read [low-high] as markup


if __name__ == "__main__":
    main()
