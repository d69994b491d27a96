"""A token file: random, owner-only (0600), kept across runs.

``strangler up`` runs this as a set-up task (``python -m strangler_proxy.stack.token PATH
...``) for the admin API's token (the proxy starts with ``--admin-token-file PATH``; ``strangler
routes list`` reads the same file by itself), for ``var/events.token``, the bearer every
inbox takes (each service and the monolith get it as ``EVENTS_TOKEN`` when they start), and
for ``var/metrics.token``, the bearer their ``/metrics`` asks of a scrape (``METRICS_TOKEN``;
Prometheus reads the file).

>>> import tempfile
>>> folder = tempfile.TemporaryDirectory()
>>> token = Path(folder.name) / "var" / "admin.token"
>>> ensure_token_file(token), oct(token.stat().st_mode & 0o777)  # written, owner-only
(True, '0o600')
>>> kept = token.read_text()
>>> ensure_token_file(token), token.read_text() == kept  # the next run keeps it
(False, True)
>>> folder.cleanup()
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from pathlib import Path

from strangler_proxy.admin.auth import MIN_TOKEN_LENGTH

OWNER_ONLY = 0o600


def ensure_token_file(path: Path) -> bool:
    """Keep a usable token in ``path`` (0600) or write a new one; True when it was written."""
    try:
        current = path.read_text().strip()
    except FileNotFoundError:
        current = ""
    if len(current) >= MIN_TOKEN_LENGTH:
        if stat.S_IMODE(path.stat().st_mode) != OWNER_ONLY:
            path.chmod(OWNER_ONLY)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)
    # Created 0600 from the start, so the token is never readable by others, even briefly.
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(32) + "\n")
    fresh.replace(path)
    return True


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m strangler_proxy.stack.token PATH ...", file=sys.stderr)
        return 2
    for path in map(Path, argv):
        try:
            created = ensure_token_file(path)
        except OSError as exc:
            print(f"cannot write the token file {path}: {exc}", file=sys.stderr)
            return 1
        print(f"{'created' if created else 'kept'} {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
