"""What a reader must know before trusting a report: report.json's ``warnings``.

Pure: the graph, the skipped files and the options in, a list of ``{kind, message}`` out.
The blocking kinds (``analysis.outputs.BLOCKING_WARNINGS``: not-django, broken-files) mean
the results are incomplete or meaningless, so ``strangler analyze`` writes no report and
exits non-zero on them unless ``--allow-broken`` is given::

    >>> import networkx as nx
    >>> [w["kind"] for w in find_warnings(nx.MultiDiGraph(), root="scripts")]
    ['not-django']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx

from analysis.metrics.agreement import partition_from_prefixes
from analysis.outputs import warning_label
from analysis.propose.view import kind_of

NOT_DJANGO = "not-django"  # no model, URL pattern, settings, manage.py or Django import
BROKEN_FILES = "broken-files"  # files that did not parse: what they hold is missing
NO_MODELS = "no-models"  # Django code, but no table to split by ownership
TRUTH_SKIPPED = "truth-skipped"  # a truth found beside the code names none of its modules
PACKAGE_NAMED = "package-named"  # the code imports its package under another name

Warning = dict[str, str]


def django_evidence(graph: nx.MultiDiGraph) -> dict[str, int]:
    """What shows the tree is a Django project: models defined in it, endpoints, wiring
    modules (settings, the root urlconf, manage.py, wsgi/asgi) and modules importing Django.
    (Not a file named models.py or apps.py: plenty of other code has one.)"""
    found = {"models": 0, "endpoints": 0, "wiring": 0}
    for node, data in graph.nodes(data=True):
        kind = kind_of(graph, node)
        if kind == "model" and not data.get("external"):
            found["models"] += 1
        elif kind == "endpoint":
            found["endpoints"] += 1
        elif kind == "module":
            found["wiring"] += bool(data.get("wiring"))
    found["django_imports"] = len(graph.graph.get("django_modules", ()))
    return found


def truth_covers(partition: Mapping[str, str], truth: Mapping[str, str]) -> bool:
    """Whether the truth names any of the partitioned modules (else it cannot score them)."""
    return bool(partition_from_prefixes(sorted(partition), truth))


def find_warnings(
    graph: nx.MultiDiGraph,
    *,
    root: str,
    broken: Sequence[tuple[str, str, int | None]] = (),
    skipped_truth: str | None = None,
) -> list[Warning]:
    """The report's warnings, blocking ones first. ``skipped_truth``: the path of a truth
    file found beside the code that was not used because it names none of the modules."""
    out: list[Warning] = []
    evidence = django_evidence(graph)
    if not any(evidence.values()):
        modules = sum(1 for n in graph if kind_of(graph, n) == "module")
        where = f"in its {modules} Python module(s)" if modules else "(no Python module at all)"
        out.append(
            _warning(
                NOT_DJANGO,
                f"{root} does not look like a Django project: no models, URL patterns, "
                f"settings (INSTALLED_APPS, ROOT_URLCONF), manage.py or Django imports {where}, "
                "so the proposed services mean nothing",
            )
        )
    if broken:
        out.append(
            _warning(
                BROKEN_FILES,
                f"{len(broken)} file(s) could not be parsed and were skipped: their models, "
                "endpoints and imports are missing from these results",
            )
        )
    if evidence["models"] == 0 and any(evidence.values()):  # Django code without tables
        out.append(
            _warning(
                NO_MODELS,
                f"no Django models found under {root}: no tables to split by ownership",
            )
        )
    for folder, name in sorted(graph.graph.get("package_names", {}).items()):
        what = f"its package {folder!r}" if folder else "the modules of this folder"
        out.append(
            _warning(
                PACKAGE_NAMED,
                f"the code imports {what} as {name!r} (a renamed copy?): they are named "
                f"{name}.* here, so that its imports, settings and URL includes resolve",
            )
        )
    if skipped_truth is not None:
        out.append(
            _warning(
                TRUTH_SKIPPED,
                f"the ground truth found beside the code ({skipped_truth}) names none of the "
                "analyzed modules, so the proposal is not scored against it "
                "(pass --truth to score against another file)",
            )
        )
    return out


#: The skipped files' table, as both renderers show it (under the warnings, at the top).
SKIPPED_COLUMNS = ["path", "line", "reason"]


def skipped_rows(doc: Mapping[str, Any]) -> list[list[Any]]:
    return [[b["path"], b["line"], b["reason"]] for b in doc["broken_files"]]


def label(warning: Mapping[str, str]) -> str:
    """How a renderer heads a warning: blocking ones are warnings, the others notes."""
    return warning_label(warning["kind"])


def _warning(kind: str, message: str) -> Warning:
    return {"kind": kind, "message": message}
