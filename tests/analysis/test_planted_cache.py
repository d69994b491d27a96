"""Analysing a tree never runs it: a cache planted in the tree is never read by any command.

The planted files are pickles that create a marker file when loaded, at every place an
earlier version of the analyzer looked for its cache (``<tree>/.strangler-cache/<version>/``
and, for ``strangler analyze .`` run inside the tree, ``var/report/.cache/``). Each command
that analyses a tree runs for real, and the marker must never appear.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import build_graph
from analysis.builder.scan import scan
from analysis.cache import code_version, default_cache_dir
from tests.analysis.builder.shop_project import write_project

STRANGLER = str(Path(sys.executable).with_name("strangler"))


class Planted:
    """Unpickling this runs code: it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"open({str(self.marker)!r}, 'w').close()",)


def plant(tree: Path, marker: Path) -> None:
    """A pickle bomb at every name the pickle caches had (in ``.strangler-cache`` and in
    ``var/report/.cache``, ``strangler analyze .``'s default), and in place of every file
    that is not the project's own source (whatever an earlier run left in the tree)."""
    payload = pickle.dumps(Planted(marker))
    for path in tree.rglob("*"):
        if path.is_file() and path.suffix != ".py":
            path.write_bytes(payload)
    for folder in (tree / ".strangler-cache", tree / "var" / "report" / ".cache"):
        for version in (code_version(), code_version("builder"), "0123456789abcdef"):
            for name in ("facts.pickle", f"graphs/{'0' * 32}.pickle", "facts.json"):
                (folder / version / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / version / name).write_bytes(payload)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "project")
    plant(root, tmp_path / "ran")
    return root


def run(*args: str, cwd: Path, user_cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STRANGLER_CACHE_DIR": str(user_cache), "COLUMNS": "200"}
    return subprocess.run(
        [STRANGLER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )


def test_strangler_analyze_never_loads_a_planted_cache(
    tree: Path, tmp_path: Path, user_cache: Path
) -> None:
    for _ in range(2):  # cold, then warm with whatever the first run left in the tree planted
        plant(tree, tmp_path / "ran")
        done = run(
            "analyze",
            str(tree),
            "--out",
            str(tmp_path / "out"),
            "--jobs",
            "1",
            "--allow-broken",  # the project has a Python 2 file
            cwd=tmp_path,
            user_cache=user_cache,
        )
        assert done.returncode == 0, done.stderr
    inside = run("analyze", ".", "--allow-broken", cwd=tree, user_cache=user_cache)

    assert inside.returncode == 0, inside.stderr
    assert not (tmp_path / "ran").exists()
    assert json.loads((tmp_path / "out" / "report.json").read_text())["summary"]["models"] > 0


def test_routes_import_from_source_never_loads_a_planted_cache(
    tree: Path, tmp_path: Path, user_cache: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    for _ in range(2):  # cold, then warm with whatever the first run left in the tree planted
        plant(tree, tmp_path / "ran")
        done = run(
            "routes",
            "import",
            "--source",
            str(tree),
            "--store",
            store,
            "--allow-broken",  # the tree holds a Python 2 file on purpose
            cwd=tmp_path,
            user_cache=user_cache,
        )
        assert done.returncode == 0, done.stderr
        assert "Import" in done.stdout

    assert not (tmp_path / "ran").exists()


def test_build_graph_never_loads_a_planted_cache(tree: Path, tmp_path: Path) -> None:
    first = build_graph(tree)
    plant(tree, tmp_path / "ran")  # whatever the first run left in the tree
    second = build_graph(tree)

    assert not (tmp_path / "ran").exists()
    assert (first.stats["parsed"], second.stats["cached"]) == (26, 26)
    assert not default_cache_dir(tree).is_relative_to(tree)


def test_a_foreign_file_in_the_real_cache_is_ignored_and_rebuilt(
    tree: Path, tmp_path: Path, user_cache: Path
) -> None:
    out = tmp_path / "out"
    analyze = ("analyze", str(tree), "--out", str(out), "--allow-broken")  # a Python 2 file
    assert run(*analyze, cwd=tmp_path, user_cache=user_cache).returncode == 0
    expected = json.loads((out / "report.json").read_text())
    cache = default_cache_dir(tree)
    stored = [p for p in cache.rglob("*") if p.is_file()]  # facts, graph, reports
    assert {p.parent.name for p in stored} >= {"graphs", "results", code_version()}
    payload = pickle.dumps(Planted(tmp_path / "ran"))
    for damage in (payload, b"{not json", b'{"key": "x", "value": []}', b"[1, 2, 3]"):
        for path in stored:
            path.write_bytes(damage)
        done = run(*analyze, cwd=tmp_path, user_cache=user_cache)
        assert done.returncode == 0, done.stderr
        again = json.loads((out / "report.json").read_text())
        assert {**again, "timings": None} == {**expected, "timings": None}

    assert not (tmp_path / "ran").exists()


def test_valid_json_of_the_wrong_shape_in_the_real_cache_is_rebuilt(
    tree: Path, tmp_path: Path
) -> None:
    expected = build_graph(tree)
    cache = default_cache_dir(tree)
    whole = scan(tree).key
    for pack in cache.rglob("facts.json"):
        keys = json.loads(pack.read_text())
        pack.write_text(json.dumps({key: ["M", 1, {"x": []}] for key in keys}))
    for graph in cache.rglob("graphs/*.json"):
        graph.write_text(json.dumps({"key": whole, "value": {"nodes": [[1, 2]], "edges": 3}}))

    again = build_graph(tree)

    assert again.stats["parsed"] == 26  # every entry refused, every file parsed again
    assert sorted(again.graph.edges(keys=True)) == sorted(expected.graph.edges(keys=True))
