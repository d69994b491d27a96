"""A typo in a store URL stops every reader with the option and the path named, and
creates nothing: no folder, no file, no empty store that would send every route to the
monolith. (The mitmproxy addon's case is in tests/strangler_proxy/mitm/; the importer,
the one command that creates a store, in tests/strangler_proxy/cli/test_routes_import.py.)
"""

import subprocess
import sys
from pathlib import Path

import pytest

from strangler_proxy.engine.runtime import build_engine
from strangler_proxy.engine.settings import EngineSettings
from strangler_proxy.store import NoStore
from tests.conftest import ROOT

TYPO = "sqlite:///nonexistent/dir/flags.sqlite3"
NAMED = "--store: no flag store at nonexistent/dir/flags.sqlite3 (no such file: "
STRANGLER = str(ROOT / ".venv" / "bin" / "strangler")


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "STRANGLER_ADMIN_TOKEN": "t" * 32}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(
            [STRANGLER, "proxy", "run", "--listen", "127.0.0.1:0", "--store", TYPO,
             "--monolith", "http://127.0.0.1:9"],
            id="strangler proxy run",
        ),
        pytest.param(
            [sys.executable, "-m", "strangler_proxy.admin", "--port", "0", "--store", TYPO],
            id="python -m strangler_proxy.admin",
        ),
    ],
)  # fmt: skip
def test_a_reader_stops_on_a_store_that_is_not_there(argv: list[str], tmp_path: Path) -> None:
    done = run(argv, tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert NAMED in done.stderr
    assert f"{tmp_path}/nonexistent/dir/flags.sqlite3" in done.stderr
    assert "`strangler routes import` creates one" in done.stderr
    assert list(tmp_path.iterdir()) == [], "nothing created"


def test_the_proxy_engine_refuses_it_too(tmp_path: Path) -> None:
    """A worker builds its engine from the settings: no store there, no engine."""
    url = f"sqlite:///{tmp_path / 'nonexistent' / 'flags.sqlite3'}"
    settings = EngineSettings(monolith_url="http://127.0.0.1:9", store_url=url)
    with pytest.raises(NoStore):
        build_engine(settings)
    assert list(tmp_path.iterdir()) == []
