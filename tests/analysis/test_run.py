"""The whole analysis as ``strangler analyze`` runs it: an unchanged tree with the same
options gets the previous run's reports back from the cache, anything else is analysed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.outputs import REPORT_FILES, write_files
from analysis.run import Options, analyze
from tests.analysis.builder.shop_project import write_project


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_project(tmp_path / "project")


def test_an_unchanged_tree_gets_the_same_reports_from_the_cache(shop: Path) -> None:
    first = analyze(shop, Options(seed=7))
    second = analyze(shop, Options(seed=7))

    assert (first.cached, second.cached) == (False, True)
    assert list(second.files) == list(REPORT_FILES)
    assert second.files == first.files
    assert second.doc == json.loads(first.files["report.json"])


def test_other_options_or_a_changed_file_are_analysed_again(shop: Path) -> None:
    analyze(shop, Options(seed=7))

    assert not analyze(shop, Options(seed=8)).cached
    assert not analyze(shop, Options(seed=8, services=1)).cached
    views = shop / "shop/orders/views.py"
    views.write_text(views.read_text() + "\n\ndef refund(request):\n    return None\n")
    edited = analyze(shop, Options(seed=8, services=1))
    assert not edited.cached
    assert any(m["name"] == "shop.orders.views" for m in edited.doc["modules"])


def test_a_damaged_stored_report_is_analysed_again(shop: Path, user_cache: Path) -> None:
    first = analyze(shop)
    texts = [p for p in user_cache.rglob("results/*/*") if p.is_file()]
    assert len(texts) == len(REPORT_FILES)
    for path in texts:  # same size, not the report any more
        path.write_bytes(b" " * path.stat().st_size)

    again = analyze(shop)

    assert not again.cached
    assert again.files["report.html"] == first.files["report.html"]
    assert {**again.doc, "timings": None} == {**first.doc, "timings": None}
    assert analyze(shop).cached  # stored again, whole


def test_the_jobs_count_changes_only_the_speed(shop: Path) -> None:
    first = analyze(shop, Options(jobs=1))
    assert analyze(shop, Options(jobs=2)).files == first.files


def test_the_cached_answer_does_not_even_import_networkx(shop: Path, user_cache: Path) -> None:
    analyze(shop)
    script = (
        "import sys; from pathlib import Path; from analysis.run import analyze; "
        f"outcome = analyze(Path({str(shop)!r})); "
        "print(outcome.cached, 'networkx' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"STRANGLER_CACHE_DIR": str(user_cache), "PATH": ""},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.split() == ["True", "False"]


def test_write_files_writes_every_report(shop: Path, tmp_path: Path) -> None:
    outcome = analyze(shop)
    paths = write_files(outcome.files, tmp_path / "out")

    assert [p.relative_to(tmp_path / "out").as_posix() for p in paths] == list(REPORT_FILES)
    written = json.loads((tmp_path / "out" / "report.json").read_text())
    assert written == json.loads(json.dumps(outcome.doc))  # tuples in memory, lists in JSON


def test_a_missing_tree_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="not a directory to analyze"):
        analyze(tmp_path / "missing")
