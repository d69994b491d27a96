"""How the legacy monolith runs, in one place: ``strangler up``, the test fixtures and the
benchmarks all start it through these, as child processes (nothing here imports it).

>>> gunicorn_argv("python", 8000, workers=1, threads=8)[:6]
('python', '-m', 'gunicorn', 'legacy_monolith.shop.wsgi:application', '--bind', '127.0.0.1:8000')
>>> monolith_env(Path("var"))["DJANGO_SETTINGS_MODULE"]
'legacy_monolith.shop.settings'
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

MONOLITH_SETTINGS = "legacy_monolith.shop.settings"
MONOLITH_WSGI = "legacy_monolith.shop.wsgi:application"
#: gunicorn's configuration module of the monolith (``-c python:...``): its hooks (a dead
#: worker's multiprocess metrics marked as such)
MONOLITH_GUNICORN_CONF = "legacy_monolith.shop.gunicorn_conf"
#: what gunicorn logs once bound: with ``--bind HOST:0`` the port the kernel picked
GUNICORN_LISTENING = re.compile(r"Listening at: http://(?P<host>[^\s:]+):(?P<port>\d+) ")


class MonolithMissing(RuntimeError):
    """The legacy_monolith package is not installed beside the toolkit."""


class PrepareFailed(RuntimeError):
    """A ``manage.py`` set-up command (migrate, seed) failed; the message carries its output."""


def manage_py() -> Path:
    """The monolith's ``manage.py``, found without importing the monolith."""
    spec = importlib.util.find_spec("legacy_monolith")
    if spec is None or not spec.submodule_search_locations:
        raise MonolithMissing("the legacy_monolith package is not installed here")
    return Path(next(iter(spec.submodule_search_locations))) / "manage.py"


def monolith_env(var_dir: Path, database_url: str | None = None) -> dict[str, str]:
    """The environment the monolith's commands and server run with (state in ``var_dir``)."""
    env = {"STRANGLER_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": MONOLITH_SETTINGS}
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def gunicorn_argv(
    python: str,
    port: int,
    *,
    host: str = "127.0.0.1",
    workers: int = 2,
    threads: int = 4,
    config: str | None = None,
) -> tuple[str, ...]:
    """The monolith under gunicorn's threaded workers (a production server, not runserver),
    with ``-c python:CONFIG`` when ``config`` names a configuration module.

    Without gunicorn's control socket: every gunicorn of a user would share its one default
    path (``~/.gunicorn/gunicorn.ctl``), so a second monolith (tests, a benchmark beside
    ``strangler up``) would take it over from the first."""
    return (
        *(python, "-m", "gunicorn", MONOLITH_WSGI, "--bind", f"{host}:{port}"),
        *("--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads)),
        *("--graceful-timeout", "5", "--no-control-socket"),
        *(("-c", f"python:{config}") if config else ()),
    )


def prepare_database(
    python: str, env: Mapping[str, str], *, size: str = "tiny", seed: int = 42
) -> None:
    """Migrate and seed a fresh database (``manage.py migrate`` then ``seed_shop``)."""
    manage = (python, str(manage_py()))
    full_env = {**os.environ, **env}
    seed_args = ("seed_shop", "--size", size, "--seed", str(seed))
    for args in (("migrate", "--noinput", "-v0"), seed_args):
        done = subprocess.run([*manage, *args], env=full_env, capture_output=True, text=True)
        if done.returncode != 0:
            raise PrepareFailed(
                f"manage.py {' '.join(args)} failed (exit {done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )
