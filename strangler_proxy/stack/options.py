"""``strangler up``'s options, checked before anything starts (pure but for the var dir's
"can it be made?" look at the file system).

>>> options = StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="/srv/var")
>>> options.catalog_url, options.events_token_file, options.broker
('http://127.0.0.1:8101', PosixPath('/srv/var/events.token'), 'embedded')
>>> StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="v", catalog_port=8080)
Traceback (most recent call last):
...
strangler_proxy.stack.options.StackSpecError: --catalog-port: port 8080 is taken by ...
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from strangler_proxy.events.sources import EMBEDDED
from strangler_proxy.stack.parts import LOOPBACK

#: ``manage.py seed_shop --size`` choices (legacy_monolith.common.seed_sizes.SIZES; the
#: toolkit never imports the monolith, so a test keeps the two equal)
SEED_SIZES = ("tiny", "small", "default", "large")
#: ``--broker`` without a broker: the relay polls the outbox and pushes to the inboxes.


class StackSpecError(ValueError):
    """A bad ``strangler up`` option; ``option`` names it."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


@dataclass(frozen=True)
class StackOptions:
    monolith_port: int = 8000
    seed_size: str = "default"
    var_dir: Path = field(default_factory=lambda: Path("var"))
    proxy_port: int = 8080
    admin_port: int = 8081
    catalog_port: int = 8101
    notifications_port: int = 8102
    #: ``embedded`` (the outbox is the queue) or a ``nats://`` URL
    broker: str = EMBEDDED
    #: The monolith's ``DATABASE_URL`` when the environment gives one (None: its SQLite
    #: file in the var dir); the relay reads its outbox there.
    monolith_database_url: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        monolith_port: int,
        seed_size: str,
        var_dir: str | Path,
        proxy_port: int = 8080,
        admin_port: int = 8081,
        catalog_port: int = 8101,
        notifications_port: int = 8102,
        broker: str = EMBEDDED,
        monolith_database_url: str | None = None,
    ) -> StackOptions:
        ports = {
            "--monolith-port": monolith_port,
            "--proxy-port": proxy_port,
            "--admin-port": admin_port,
            "--catalog-port": catalog_port,
            "--notifications-port": notifications_port,
        }
        seen: dict[int, str] = {}
        for option, port in ports.items():
            if not 1 <= port <= 65535:
                raise StackSpecError(option, f"must be a TCP port 1-65535, got {port}")
            if port in seen:
                raise StackSpecError(option, f"port {port} is taken by {seen[port]} already")
            seen[port] = option
        if seed_size not in SEED_SIZES:
            raise StackSpecError(
                "--seed-size", f"expected one of {', '.join(SEED_SIZES)}, got {seed_size!r}"
            )
        if broker != EMBEDDED and not _is_nats_url(broker):
            raise StackSpecError(
                "--broker", f"expected {EMBEDDED} or nats://HOST:PORT, got {broker!r}"
            )
        path = Path(var_dir)
        if path.exists() and not path.is_dir():
            raise StackSpecError("--var-dir", f"{path} exists and is not a directory")
        _check_creatable(path)
        return cls(
            monolith_port=monolith_port,
            seed_size=seed_size,
            var_dir=path.resolve(),
            proxy_port=proxy_port,
            admin_port=admin_port,
            catalog_port=catalog_port,
            notifications_port=notifications_port,
            broker=broker,
            monolith_database_url=monolith_database_url or None,
        )

    @property
    def report_dir(self) -> Path:
        return self.var_dir / "report"

    @property
    def report_json(self) -> Path:
        return self.report_dir / "report.json"

    @property
    def store_url(self) -> str:
        """The flag store (routes, service registry) as ``strangler`` commands take it."""
        return f"sqlite:///{self.var_dir / 'flags.sqlite3'}"

    @property
    def token_file(self) -> Path:
        return self.var_dir / "admin.token"

    @property
    def events_token_file(self) -> Path:
        """The bearer the deliverer presents at every inbox (``EVENTS_TOKEN``), 0600."""
        return self.var_dir / "events.token"

    @property
    def token_files(self) -> tuple[Path, Path]:
        """Both token files ``up`` keeps: the admin API's and the events'."""
        return self.token_file, self.events_token_file

    @property
    def monolith_db(self) -> str:
        """The monolith's database URL (its ``DATABASE_URL``, or SQLite in the var dir)."""
        return self.monolith_database_url or f"sqlite:///{self.var_dir / 'monolith.sqlite3'}"

    @property
    def monolith_url(self) -> str:
        return f"http://{LOOPBACK}:{self.monolith_port}"

    @property
    def catalog_url(self) -> str:
        return f"http://{LOOPBACK}:{self.catalog_port}"

    @property
    def notifications_url(self) -> str:
        return f"http://{LOOPBACK}:{self.notifications_port}"


def _is_nats_url(url: str) -> bool:
    """
    >>> _is_nats_url("nats://127.0.0.1:4222"), _is_nats_url("127.0.0.1:4222")
    (True, False)
    """
    parts = urlsplit(url)
    return parts.scheme == "nats" and bool(parts.hostname)


def _check_creatable(path: Path) -> None:
    """``path`` is a folder, or one ``mkdir -p`` can make (its nearest existing parent is a
    writable folder): a var dir that cannot be made is named before any work starts."""
    found = path.absolute()
    while not found.exists() and found != found.parent:
        found = found.parent
    if found == path.absolute():
        return
    if not found.is_dir():
        raise StackSpecError("--var-dir", f"cannot create {path}: {found} is not a directory")
    if not os.access(found, os.W_OK | os.X_OK):
        raise StackSpecError("--var-dir", f"cannot create {path}: {found} is not writable")
