"""How fast is ``strangler analyze``, the whole command as users run it, and its graph
build (``analysis.build_graph``), next to grimp's ``build_graph`` on the same tree?

    .venv/bin/python bench/analysis_speed.py [PATH] [--repeat 5] [--jobs N]

PATH (default: the legacy monolith) is a directory holding the project's top-level
packages, e.g. a checkout of saleor. Every measurement runs in a fresh Python process:
"cold" with an empty cache directory, "warm" with the cache the previous run left and
nothing changed. "strangler analyze" is the installed command, timed from outside (process
start to exit, report files written: interpreter start and imports included, unlike the
in-process timings of the graph builds); its peak RSS is the largest of its processes.
grimp builds the import graph only (in Rust), so it is the floor for "read every file";
the figures are printed as ratios to it, measured in the same run on the same machine,
with the median and the spread (min-max) of the runs. The goals for the whole command on
a codebase like saleor (~200k lines): under 2 s cold, under 0.5 s warm, under 500 MB.
Tests and migrations are analyzed by grimp but skipped by the analyzer, as in its default.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent

ANALYZER = """
import json, resource, sys, time
from pathlib import Path
import networkx  # imported by build_graph when needed: not part of what is timed here
from analysis import build_graph
from analysis.builder import build, graph, stored
me = resource.getrusage(resource.RUSAGE_SELF)
cpu0 = me.ru_utime + me.ru_stime
start = time.perf_counter()
result = build_graph(Path(sys.argv[1]), cache_dir=Path(sys.argv[2]), jobs=int(sys.argv[3]) or None)
seconds = time.perf_counter() - start
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
peak = max(me.ru_maxrss, kids.ru_maxrss)
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime - cpu0
lines = sum(d.get("lines", 0) for _, d in result.graph.nodes(data=True))
graph = result.graph
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kb": peak, "stats": result.stats,
                  "lines": lines, "nodes": graph.number_of_nodes(),
                  "edges": graph.number_of_edges()}))
"""

GRIMP = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import grimp
me = resource.getrusage(resource.RUSAGE_SELF)
cpu0 = me.ru_utime + me.ru_stime
start = time.perf_counter()
graph = grimp.build_graph(*sys.argv[3:], cache_dir=sys.argv[2])
seconds = time.perf_counter() - start
me = resource.getrusage(resource.RUSAGE_SELF)
cpu = me.ru_utime + me.ru_stime - cpu0
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kb": me.ru_maxrss,
                  "modules": len(graph.modules)}))
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    info: dict[str, object]


COMMAND = "strangler analyze"
STRANGLER = str(Path(sys.executable).with_name("strangler"))


def run_command(path: str, cache: str, jobs: str) -> Run:
    """``strangler analyze PATH --cache-dir CACHE`` into a scratch output folder (in the
    cache folder, so "warm" rewrites the same files), timed from outside."""
    out = Path(cache) / "out"
    argv = [STRANGLER, "analyze", path, "--out", str(out), "--cache-dir", cache]
    argv += ["--allow-broken"]  # timing a real codebase: a file it cannot parse is no stop
    argv += ["--jobs", jobs] if jobs != "0" else []
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    stderr = child.stderr.read().decode() if child.stderr else ""
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise click.ClickException(f"strangler analyze failed:\n{stderr[-2000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, {"cpu": usage.ru_utime + usage.ru_stime})


def run(script: str, *args: str) -> Run:
    if script == COMMAND:
        return run_command(*args)
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        raise click.ClickException(f"measurement failed:\n{done.stderr[-2000:]}")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    return Run(float(info["seconds"]), int(info["peak_kb"]) / 1024, info)


def packages(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if (p / "__init__.py").is_file())


def measure(script: str, args: list[str], repeat: int, mode: str) -> list[Run]:
    """``repeat`` runs. "cold": an empty cache directory each time; "warm": a cache that
    a first (unreported) run filled; "edit": warm, but one file changed before each run
    (``args[0]`` is then a scratch copy of the tree, which this edits)."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as shared:
        if mode != "cold":
            run(script, args[0], shared, *args[1:])
        for n in range(repeat):
            if mode == "cold":
                with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
                    runs.append(run(script, args[0], cache, *args[1:]))
                continue
            if mode == "edit":
                victim = max(Path(args[0]).rglob("models.py"), key=lambda p: p.stat().st_size)
                victim.write_text(victim.read_text() + f"\n# edit {n}\n")
            runs.append(run(script, args[0], shared, *args[1:]))
    return runs


@click.command()
@click.argument(
    "path", type=click.Path(exists=True, file_okay=False, path_type=Path), required=False
)
@click.option("--repeat", default=5, show_default=True, help="Runs per measurement (median).")
@click.option("--jobs", default=0, help="Worker processes for the analyzer (0: CPU count).")
def main(path: Path | None, repeat: int, jobs: int) -> None:
    console = Console(width=120)
    path = (path or ROOT).resolve()
    tops = packages(path)
    if not tops:
        raise click.UsageError(f"{path} holds no Python package (a folder with __init__.py)")
    target = path if path != ROOT else ROOT / "legacy_monolith"
    if path == ROOT:
        tops = ["legacy_monolith"]
    console.print(f"[bold]{target}[/]: packages {', '.join(tops)}; {os.cpu_count()} CPUs")
    results: dict[str, list[Run]] = {}
    load = os.getloadavg()
    scratch = Path(tempfile.mkdtemp(prefix="bench-tree-"))
    shutil.copytree(target, scratch / target.name, ignore=shutil.ignore_patterns(".*"))
    plan = [
        ("strangler analyze cold", COMMAND, [str(target), str(jobs)], "cold"),
        ("strangler analyze warm", COMMAND, [str(target), str(jobs)], "warm"),
        ("build_graph cold", ANALYZER, [str(target), str(jobs)], "cold"),
        ("build_graph warm", ANALYZER, [str(target), str(jobs)], "warm"),
        ("build_graph, 1 file edited", ANALYZER, [str(scratch / target.name), str(jobs)], "edit"),
        ("grimp cold", GRIMP, [str(path), *tops], "cold"),
        ("grimp warm", GRIMP, [str(path), *tops], "warm"),
    ]
    try:
        with console.status("measuring...") as status:
            for label, script, args, mode in plan:
                status.update(f"measuring {label} ({repeat} runs)...")
                results[label] = measure(script, args, repeat, mode)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def median(label: str) -> float:
        return statistics.median(r.seconds for r in results[label])

    first = results["build_graph cold"][0].info
    table = Table(title=f"{target.name}: {first['lines']:,} lines analyzed, {repeat} runs each")
    columns = ("run", "seconds (median)", "min-max", "CPU s (median)", "peak MB", "vs grimp")
    for column in columns:
        table.add_column(column, justify="right" if column != "run" else "left")
    for label, runs in results.items():
        mode = "cold" if "cold" in label else "warm"
        ratio = median(label) / median(f"grimp {mode}")
        seconds = [r.seconds for r in runs]
        table.add_row(
            label,
            f"{median(label):.3f}",
            f"{min(seconds):.3f}-{max(seconds):.3f}",
            f"{statistics.median(float(str(r.info['cpu'])) for r in runs):.2f}",
            f"{max(r.peak_mb for r in runs):.0f}",
            f"{ratio:.2f}x",
        )
    console.print(table)
    cold, warm = results["strangler analyze cold"], results["strangler analyze warm"]
    peak = max(r.peak_mb for r in cold + warm)
    console.print(
        f"strangler analyze: cold {median('strangler analyze cold'):.2f} s (goal < 2 s), "
        f"warm {median('strangler analyze warm'):.2f} s (goal < 0.5 s), "
        f"peak {peak:.0f} MB (goal < 500 MB), medians of {repeat} runs"
    )
    console.print(
        f"load average before {load[0]:.1f}, after {os.getloadavg()[0]:.1f} "
        f"(on {os.cpu_count()} CPUs; wall times stretch when others run); ratios: median "
        "seconds over grimp's in the same mode (cold or warm)"
    )
    stats = first["stats"]
    console.print(
        f"analyzer: {first['nodes']:,} nodes, {first['edges']:,} edges; files {stats}; "
        f"grimp: {results['grimp cold'][0].info['modules']:,} modules (incl. tests/migrations)"
    )


if __name__ == "__main__":
    main()
