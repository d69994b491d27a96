"""``strangler diff``: two files in, the differences with their paths out, diff's exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

STRANGLER = Path(sys.executable).with_name("strangler")


def strangler_diff(tmp_path: Path, a: Any, b: Any, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "a.json").write_text(a if isinstance(a, str) else json.dumps(a))
    (tmp_path / "b.json").write_text(b if isinstance(b, str) else json.dumps(b))
    return subprocess.run(
        [STRANGLER, "diff", "a.json", "b.json", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


MONOLITH = {"count": 2, "results": [{"id": 1, "price": "12.50", "at": "x"}, {"id": 2, "name": "b"}]}
SERVICE = {"count": 2, "results": [{"id": 2, "title": "b"}, {"id": 1, "price": "12.50", "at": "y"}]}


def test_equal_files_exit_0(tmp_path: Path) -> None:
    done = strangler_diff(tmp_path, MONOLITH, dict(reversed(MONOLITH.items())))
    assert (done.returncode, done.stdout) == (0, "no differences\n")


def test_differences_print_their_paths_and_exit_1(tmp_path: Path) -> None:
    done = strangler_diff(
        tmp_path, MONOLITH, SERVICE, "--unordered", "$.results=id", "--ignore", "$..at"
    )
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "2 difference(s): a.json -> b.json"
    assert lines[2].split() == ["$.results[1].name", "removed", '"b"', "-"]
    assert lines[3].split() == ["$.results[1].title", "added", "-", '"b"']


def test_json_output_for_scripts(tmp_path: Path) -> None:
    done = strangler_diff(tmp_path, {"a": "12.50"}, {"a": 12.5}, "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout) == [
        {"path": "$.a", "kind": "type", "monolith": "12.50", "service": 12.5}
    ]


def test_whole_recorded_answers_compare_status_and_headers(tmp_path: Path) -> None:
    monolith = {
        "status": 200,
        "headers": {"Content-Type": "application/json", "Date": "a"},
        "body": {"a": 1},
    }
    service = {
        "status": 201,
        "headers": [["content-type", "application/json"], ["date", "b"]],
        "body": '{"a": 1}',
    }
    done = strangler_diff(tmp_path, monolith, service, "--json")
    assert json.loads(done.stdout) == [
        {"path": "status", "kind": "changed", "monolith": 200, "service": 201}
    ]


def test_a_rule_book_applies_its_global_and_route_rules(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(
        '[global]\nignore = ["$..at"]\n'
        '[routes.product-list]\nunordered = [{ path = "$.results", key = "id" }]\n'
    )
    done = strangler_diff(
        tmp_path, MONOLITH, SERVICE, "--rules", "rules.toml", "--route", "product-list", "--json"
    )
    assert [d["path"] for d in json.loads(done.stdout)] == [
        "$.results[1].name",
        "$.results[1].title",
    ]


def test_bad_input_is_a_clear_error_with_exit_2(tmp_path: Path) -> None:
    done = strangler_diff(tmp_path, "{not json", {})
    assert done.returncode == 2
    assert "a.json is not JSON" in done.stderr
    done = strangler_diff(tmp_path, {}, {}, "--ignore", "results[*]")
    assert done.returncode == 2
    assert "bad path glob 'results[*]' at 0: a path starts with $" in done.stderr
    (tmp_path / "rules.toml").write_text('[routes.x]\nignore = "$.a"\n')
    done = strangler_diff(tmp_path, {}, {}, "--rules", "rules.toml")
    assert done.returncode == 2
    assert "routes.x.ignore: expected a list of path globs" in done.stderr
    done = subprocess.run(
        [STRANGLER, "diff", "missing.json", "b.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "missing.json" in done.stderr
