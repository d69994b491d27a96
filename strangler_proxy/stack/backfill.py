"""The catalog's first copy, as ``strangler up`` makes it (child processes only):

``python -m strangler_proxy.stack.backfill --monolith URL --manage-py PATH --catalog-var-dir DIR``
gets the seeded ``staff`` user's DRF token from the monolith's own ``manage.py
drf_create_token`` (the backfill needs a staff token to see inactive products), then runs
the catalog's ``manage.py backfill_catalog --from URL`` with it in ``CATALOG_BACKFILL_TOKEN``
(never in an argv).

``--check DATABASE TABLE`` exits 0 when that SQLite table has a row, 3 when it has none or
is not there yet: the skip probe of a service's backfill task (a read-only look).
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from strangler_proxy.stack.parts import EMPTY_DATABASE

STAFF = "staff"
#: what ``manage.py drf_create_token USER`` prints
GENERATED = re.compile(r"Generated token (?P<key>\S+) for user")


class BackfillFailed(RuntimeError):
    pass


def catalog_env(var_dir: Path) -> dict[str, str]:
    """The catalog's settings and database (as the stack runs it)."""
    return {
        "DJANGO_SETTINGS_MODULE": "extracted_services.catalog.settings",
        "CATALOG_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'catalog.sqlite3'}",
    }


def has_rows(path: Path, table: str) -> bool:
    """Whether the SQLite ``table`` in ``path`` has a row (no file, no table: no).

    >>> has_rows(Path("/nowhere.sqlite3"), "catalog_product")
    False
    """
    if not path.is_file():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            found = conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()
    except sqlite3.Error:
        return False  # not migrated yet: empty
    return found is not None


def staff_token(python: str, manage_py: Path) -> str:
    """The staff user's DRF token (made when it has none), from the monolith's manage.py."""
    argv = [python, str(manage_py), "drf_create_token", STAFF]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    found = GENERATED.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise BackfillFailed(
            f"no token for the monolith's {STAFF!r} user ({' '.join(argv)} exited "
            f"{done.returncode}): {done.stdout}{done.stderr}".strip()
        )
    return found.group("key")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m strangler_proxy.stack.backfill")
    parser.add_argument("--check", nargs=2, metavar=("DATABASE", "TABLE"))
    parser.add_argument("--catalog-var-dir", type=Path)
    parser.add_argument("--monolith", help="the monolith's base URL")
    parser.add_argument("--manage-py", type=Path, help="the monolith's manage.py")
    args = parser.parse_args(argv)
    if args.check:
        database, table = args.check
        return 0 if has_rows(Path(database), table) else EMPTY_DATABASE
    if not (args.monolith and args.manage_py and args.catalog_var_dir):
        parser.error("--monolith, --manage-py and --catalog-var-dir are needed to backfill")
    try:
        token = staff_token(sys.executable, args.manage_py)
    except BackfillFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    env = {**os.environ, **catalog_env(args.catalog_var_dir), "CATALOG_BACKFILL_TOKEN": token}
    backfill = [sys.executable, "-m", "extracted_services.catalog.manage", "backfill_catalog"]
    return subprocess.run([*backfill, "--from", args.monolith], env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
