"""How good are the proposed services? One table: our proposal beside two baselines.

    .venv/bin/python bench/analysis_quality.py [NAME=PATH ...]

Without arguments it measures the legacy monolith; pass more Django trees (checkouts of public
projects kept outside this repository) as NAME=PATH. Per project and method:

- methods: ``proposal`` (strangler analyze), ``folders`` (copy the Django app folders: each
  module to its app, code outside any app to its top package) and ``louvain-imports`` (plain
  Louvain, seed 42, on the undirected import graph alone);
- services: parts proposed (our shared library counted as one part), and the largest one's
  share of the modules;
- ICP: inter-partition dependency share (our shared library left out: it is a library);
- MoJoFM / ARI / NMI against the apps (modules inside an app, labelled by the app);
- layer: where a project keeps a per-domain layer outside the apps holding the models (a
  module outside any app, or in an app without models such as ``saleor.graphql``, inside a
  package named after an app with models, e.g. ``saleor.graphql.product.mutations``), the
  share of those modules placed with their app's models (where most of that app's models'
  defining modules went);
- ARI-truth: ARI against ``domain_truth.json`` where the tree ships one (the legacy monolith).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path

import networkx as nx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from analysis import build_graph
from analysis.metrics import agreement, dependency_graph
from analysis.metrics.agreement import adjusted_rand_index, mojofm, normalized_mutual_info
from analysis.metrics.structure import icp
from analysis.propose import SHARED, propose

REPO = Path(__file__).resolve().parents[1]


def modules_with(graph: nx.MultiDiGraph) -> dict[str, str | None]:
    return {
        n.split(":", 1)[1]: d.get("app")
        for n, d in graph.nodes(data=True)
        if d.get("kind") == "module"
    }


def folder_copy(apps: Mapping[str, str | None]) -> dict[str, str]:
    return {m: app or m.split(".", 1)[0] for m, app in apps.items()}


def louvain_on_imports(graph: nx.MultiDiGraph, names: list[str]) -> dict[str, str]:
    imports = nx.Graph()
    imports.add_nodes_from(sorted(names))
    for u, v, key in graph.edges(keys=True):
        if key == "import" and u != v and u.startswith("module:") and v.startswith("module:"):
            imports.add_edge(u.split(":", 1)[1], v.split(":", 1)[1])
    parts = nx.community.louvain_communities(imports, seed=42)
    return {m: f"c{i}" for i, part in enumerate(sorted(parts, key=min)) for m in part}


def app_models(graph: nx.MultiDiGraph) -> dict[str, list[str]]:
    """App label -> defining modules of its concrete models."""
    found: dict[str, list[str]] = defaultdict(list)
    for node, data in graph.nodes(data=True):
        if data.get("kind") == "model" and not data.get("abstract") and data.get("module"):
            found[node.split(":", 1)[1].split(".", 1)[0]].append(str(data["module"]))
    return found


def layer_modules(apps: Mapping[str, str | None], labels: set[str]) -> dict[str, str]:
    """Modules of a per-domain layer -> the app they serve.

    A module outside any app, or inside an app without models of its own (an ``api``,
    ``graphql`` or ``dashboard`` app), sitting in a package named after an app that has models
    (``saleor.graphql.product.mutations`` -> ``product``).
    """
    found = {}
    for module, app in apps.items():
        if app in labels:
            continue
        hits = [p for p in module.split(".")[1:] if p in labels and p != app]
        if hits:
            found[module] = hits[0]
    return found


def layer_share(
    partition: Mapping[str, str], layer: Mapping[str, str], homes: Mapping[str, list[str]]
) -> float | None:
    if not layer:
        return None
    placed = 0
    for module, app in layer.items():
        votes = Counter(partition[m] for m in homes[app] if m in partition)
        if votes and partition.get(module) == votes.most_common(1)[0][0]:
            placed += 1
    return placed / len(layer)


def measure(name: str, root: Path, cache: Path) -> list[list[str]]:
    analysis = build_graph(root, cache_dir=cache / name)
    graph = analysis.graph
    apps = modules_with(graph)
    truth_apps = {m: a for m, a in apps.items() if a}
    homes = app_models(graph)
    layer = layer_modules(apps, set(homes))
    deps = dependency_graph(graph)
    truth_file = root / "domain_truth.json"
    domain = json.loads(truth_file.read_text()) if truth_file.is_file() else None
    proposal = propose(graph)
    methods = {
        "proposal": dict(proposal.module_service),
        "folders": folder_copy(apps),
        "louvain-imports": louvain_on_imports(graph, list(apps)),
    }
    rows = []
    for method, partition in methods.items():
        sizes = Counter(partition.values())
        coupling = {m: s for m, s in partition.items() if s != SHARED}
        share = layer_share(partition, layer, homes)
        rows.append(
            [
                name if method == "proposal" else "",
                method,
                str(len(sizes)),
                f"{max(sizes.values()) / len(partition):.2f}",
                f"{icp(deps, coupling):.3f}",
                f"{mojofm(partition, truth_apps):.1f}",
                f"{adjusted_rand_index(partition, truth_apps):.3f}",
                f"{normalized_mutual_info(partition, truth_apps):.3f}",
                "-" if share is None else f"{share:.2f} of {len(layer)}",
                "-" if domain is None else f"{agreement(partition, domain).ari:.3f}",
            ]
        )
    rows[0][0] = f"{name} ({len(apps)} modules, {len(set(truth_apps.values()))} apps)"
    return rows


def main(argv: list[str]) -> None:
    projects = {"legacy_monolith": REPO / "legacy_monolith"}
    for arg in argv:
        name, _, path = arg.partition("=")
        if not path or not Path(path).is_dir():
            raise SystemExit(f"expected NAME=PATH with PATH a directory, got {arg!r}")
        projects[name] = Path(path)
    table = Table(title="Service proposals vs the apps (higher MoJoFM/ARI/NMI/layer, lower ICP)")
    for column in (
        "project",
        "method",
        "services",
        "largest",
        "ICP",
        "MoJoFM",
        "ARI",
        "NMI",
        "layer (a)",
        "ARI-truth",
    ):
        table.add_column(column, justify="left" if column in ("project", "method") else "right")
    with tempfile.TemporaryDirectory() as cache, Progress(transient=True) as progress:
        task = progress.add_task("analyzing", total=len(projects))
        for name, root in projects.items():
            progress.update(task, description=f"analyzing {name}")
            for row in measure(name, root, Path(cache)):
                table.add_row(*row)
            table.add_section()
            progress.advance(task)
    Console(width=170).print(table)


if __name__ == "__main__":
    main(sys.argv[1:])
