"""``strangler analyze`` never fails silently: the real command on real trees in tmp dirs.

A file that does not parse is named with its line and error, and a folder that is not a
Django project is refused: either writes nothing and exits 1, unless ``--allow-broken``
(then the reports open with the warning). A cached run says and does exactly the same. A
copy of the monolith under another folder name is analysed as its code names itself, and a
``domain_truth.json`` found beside the code that names none of its modules is skipped with
a note, not an error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.strangler_proxy.cli.test_analyze import PROJECT, REPO, STRANGLER, report

# A syntax error deep in a long path, a Python 2 file: both must be named whole, even at
# 40 columns, with their lines.
BROKEN = {
    "shop/legacy_exports.py": "import os\nprint 'exported'\n",
    "shop/orders/reporting/quarterly_revenue_by_region_and_channel.py": (
        "def total(orders):\n    return sum(o.total for o in orders\n"
    ),
}


@pytest.fixture(autouse=True)
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STRANGLER_CACHE_DIR", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache"


def strangler(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "40"}  # a narrow terminal cuts nothing
    return subprocess.run(
        [STRANGLER, "analyze", *args], capture_output=True, text=True, timeout=240, env=env
    )


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def broken_project(tmp_path: Path) -> Path:
    return write(tmp_path / "project", {**PROJECT, **BROKEN})


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    """Python, but no Django: no models, URLs, settings, manage.py or Django import (a
    models.py of its own is no Django app)."""
    return write(
        tmp_path / "scripts",
        {
            "tools/__init__.py": "",
            "tools/rename.py": "import os\n\n\ndef rename(a, b):\n    os.rename(a, b)\n",
            "tools/models.py": "class Regression:\n    def fit(self, rows):\n        return 0\n",
        },
    )


def test_skipped_files_are_named_with_line_and_error_and_nothing_is_written(
    broken_project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"

    cold = strangler(str(broken_project), "--out", str(out))
    warm = strangler(str(broken_project), "--out", str(out))  # the same, from the cache

    for result in (cold, warm):
        assert result.returncode == 1
        lines = result.stderr.splitlines()
        assert "Warning: 2 file(s) could not be parsed and were skipped" in lines[0]
        py2, long = BROKEN  # sorted by path: legacy_exports.py first
        assert lines[1].startswith(f"  {broken_project}/{py2}:2: Python 2 syntax at line 2")
        assert lines[2].startswith(f"  {broken_project}/{long}:2: syntax error at line 2")
        assert lines[-1].startswith("Error: 2 file(s) could not be parsed (listed above)")
        assert "--allow-broken" in lines[-1]
    assert cold.stderr == warm.stderr
    assert not out.exists()


def test_allow_broken_writes_reports_that_open_with_the_warning(
    broken_project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"

    cold = strangler(str(broken_project), "--out", str(out), "--allow-broken")
    warm = strangler(str(broken_project), "--out", str(tmp_path / "again"), "--allow-broken")

    assert cold.returncode == 0 and warm.returncode == 0, cold.stderr
    assert cold.stderr == warm.stderr and "Warning: 2 file(s) could not be parsed" in cold.stderr
    doc = report(out)
    assert [w["kind"] for w in doc["warnings"]] == ["broken-files"]
    assert doc["broken_files"] == [
        {
            "path": "shop/legacy_exports.py",
            "line": 2,
            "reason": "Python 2 syntax at line 2: Missing parentheses in call to 'print'. "
            "Did you mean print(...)?",
        },
        {
            "path": "shop/orders/reporting/quarterly_revenue_by_region_and_channel.py",
            "line": 2,
            "reason": "syntax error at line 2: '(' was never closed",
        },
    ]
    markdown = (out / "report.md").read_text()
    assert markdown.index("> **Warning:** 2 file(s) could not be parsed") < markdown.index(
        "## Services"
    )
    assert markdown.index("| shop/legacy_exports.py | 2 |") < markdown.index("## Services")
    html = (out / "report.html").read_text()
    top = html.index('<section class="warnings" id="warnings" role="alert">')
    skipped = html.index("quarterly_revenue_by_region_and_channel.py")
    assert top < skipped < html.index("<h2>Proposed services</h2>")


def test_a_folder_that_is_not_a_django_project_is_refused(scripts: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    result = strangler(str(scripts), "--out", str(out))

    assert result.returncode == 1
    warning, error = result.stderr.strip().splitlines()
    assert warning.startswith(f"Warning: {scripts} does not look like a Django project: no models")
    assert error.startswith(f"Error: {scripts} does not look like a Django project")
    assert error.endswith("pass --allow-broken to write the report anyway.")
    assert not out.exists()


def test_allow_broken_reports_on_a_folder_that_is_not_a_django_project(
    scripts: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"

    result = strangler(str(scripts), "--out", str(out), "--allow-broken")

    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"Warning: {scripts} does not look like a Django project")
    assert [w["kind"] for w in report(out)["warnings"]] == ["not-django"]
    assert "> **Warning:**" in (out / "report.md").read_text()


@pytest.mark.parametrize(
    "files",
    [
        {"manage.py": "import os\nimport sys\n"},
        {"site/settings.py": "INSTALLED_APPS = ['site.blog']\n"},
        {"blog/signals.py": "from django.dispatch import Signal\n\nposted = Signal()\n"},
    ],
    ids=["manage.py", "settings", "a Django import"],
)
def test_django_code_without_models_is_analysed_with_a_note(
    tmp_path: Path, files: dict[str, str]
) -> None:
    root = write(tmp_path / "tree", files)

    result = strangler(str(root), "--out", str(tmp_path / "out"))

    assert result.returncode == 0, result.stderr
    assert f"Note: no Django models found under {root}" in " ".join(result.stderr.split())


def test_a_copy_of_the_monolith_under_another_name_is_analysed_whole(tmp_path: Path) -> None:
    """Its modules are found as shopcopy.*, its code imports legacy_monolith.*: before, the
    truth beside it was refused ('Invalid value for --truth', never passed) and, without it,
    the endpoints fell from 43 to 11 (its settings and includes resolved nothing)."""
    copy = tmp_path / "shopcopy"
    shutil.copytree(REPO / "legacy_monolith", copy, ignore=shutil.ignore_patterns("__pycache__"))

    result = strangler(str(copy), "--out", str(tmp_path / "copy"))
    original = strangler(str(REPO / "legacy_monolith"), "--out", str(tmp_path / "original"))

    assert result.returncode == 0 and original.returncode == 0, result.stderr
    assert " ".join(result.stderr.split()).startswith(
        "Note: the code imports its package 'shopcopy' as 'legacy_monolith' (a renamed copy?)"
    )
    doc, expected = report(tmp_path / "copy"), report(tmp_path / "original")
    assert doc["endpoints"] == expected["endpoints"]
    assert doc["metrics"]["truth"] == expected["metrics"]["truth"]  # scored by the truth
    assert [w["kind"] for w in doc["warnings"]] == ["package-named"]


def test_a_truth_found_beside_the_code_that_names_none_of_it_is_skipped_with_a_note(
    tmp_path: Path,
) -> None:
    root = write(tmp_path / "project", PROJECT)
    stale = {"legacy_monolith.catalog": "catalog", "legacy_monolith.orders": "orders"}
    (root / "domain_truth.json").write_text(json.dumps(stale))
    out = tmp_path / "out"

    found = strangler(str(root), "--out", str(out))
    named = strangler(str(root), "--out", str(out), "--truth", str(root / "domain_truth.json"))

    assert found.returncode == 0, found.stderr
    assert " ".join(found.stderr.split()) == (
        f"Note: the ground truth found beside the code ({root}/domain_truth.json) names none "
        "of the analyzed modules, so the proposal is not scored against it (pass --truth to "
        "score against another file)."
    )
    doc = report(out)
    assert doc["metrics"]["truth"] is None and doc["parameters"]["truth"] is False
    assert [w["kind"] for w in doc["warnings"]] == ["truth-skipped"]
    assert "> **Note:** the ground truth found beside the code" in (out / "report.md").read_text()
    assert named.returncode == 2  # named by the user: an error, as before
    assert "Invalid value for --truth: the truth names none" in " ".join(named.stderr.split())


def test_the_monolith_itself_has_no_warnings(tmp_path: Path) -> None:
    result = strangler(str(REPO / "legacy_monolith"), "--out", str(tmp_path / "out"))

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads((tmp_path / "out" / "report.json").read_text())["warnings"] == []
