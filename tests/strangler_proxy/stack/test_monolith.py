"""How the monolith is run: one place for `strangler up`, the fixtures and the benchmarks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from strangler_proxy.stack.monolith import (
    PrepareFailed,
    gunicorn_argv,
    manage_py,
    monolith_env,
    prepare_database,
)
from tests.conftest import RunningServer


def test_manage_py_is_found_without_importing_the_monolith() -> None:
    assert manage_py().name == "manage.py"
    assert manage_py().parent.name == "legacy_monolith"


def test_gunicorn_runs_threaded_workers_on_the_given_port() -> None:
    argv = gunicorn_argv("py", 8123, workers=3, threads=2)
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--threads") + 1] == "2"


def test_a_failing_seed_names_the_command_and_shows_its_output(tmp_path: Path) -> None:
    env = monolith_env(tmp_path)
    with pytest.raises(PrepareFailed) as caught:
        prepare_database(sys.executable, env, size="enormous")
    message = str(caught.value)
    assert "manage.py seed_shop --size enormous" in message
    assert "enormous" in message.split("\n", 1)[1]  # Django's own words about the bad choice


def test_the_monolith_shares_no_control_socket_with_other_gunicorns(
    monolith_server: RunningServer,
) -> None:
    """gunicorn 27 opens ``~/.gunicorn/gunicorn.ctl`` by default: one path for every gunicorn
    of a user, so a second monolith would take it over from the first."""
    log = monolith_server.process.log_path
    assert log is not None
    text = log.read_text()
    assert "Listening at:" in text  # the log is gunicorn's
    assert "Control socket" not in text
