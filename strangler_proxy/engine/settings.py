"""The engine's configuration: read and validated once, then frozen.

>>> EngineSettings(monolith_url="http://127.0.0.1:8000").max_body_bytes
1073741824
>>> try:
...     EngineSettings(monolith_url="ftp://x")
... except ConfigError as exc:
...     print(exc)
--monolith: upstream URL must be http://host[:port], got 'ftp://x'
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from strangler_proxy.engine.upstream import Origin, Timeouts
from strangler_proxy.identity.spec import DEFAULT_EXCHANGE, exchange_url


class ConfigError(ValueError):
    """A setting is invalid; the message names the option."""


@dataclass(frozen=True)
class EngineSettings:
    monolith_url: str
    store_url: str = "sqlite:///var/flags.sqlite3"
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    trusted_hops: int = 0  # proxies in front whose X-Forwarded-* are believed
    preserve_host: bool = True  # send the client's Host upstream (Django builds URLs from it)
    max_header_bytes: int = 32 * 1024  # request line + headers; past it 431
    max_body_bytes: int = 1 << 30  # request body; past it 413
    max_concurrency: int = 1024  # requests in flight per worker; past it 503
    timeouts: Timeouts = field(default_factory=Timeouts)
    buffer_body_bytes: int = 64 * 1024  # bodies up to this are read whole before sending
    shadow_queue: int = 1000  # shadow copies waiting; past it they are dropped (and counted)
    shadow_workers: int = 8
    shadow_timeout: float = 10.0  # a shadow copy's whole exchange (its own: no client waits)
    shadow_capture_bytes: int = 1 << 20  # answers compared up to this size (larger: not compared)
    evidence_url: str | None = None  # where comparisons are kept; None: beside the flag store
    evidence_keep: int = 1000  # samples kept per route (the newest)
    evidence_days: float = 7.0  # samples older than this are dropped
    rules_file: str | None = "strangler-rules.toml"  # comparison rules (missing: none)
    auto_rollback: bool = True  # flip a canary/service route back when it spends its budget
    rollback_window: float = 60.0  # seconds of traffic the rollback budget is judged on
    poll_interval: float = 0.5  # seconds between store version() checks
    health_interval: float = 2.0  # seconds between active health checks
    health_path: str = "/health/"
    graceful_seconds: float = 10.0  # in-flight requests get this long to finish on shutdown
    admin_host: str | None = None
    admin_port: int | None = None
    admin_token_file: str | None = None
    access_log: str | None = None  # a file appended to, "-" for standard output, None: off
    routing_headers: bool = True  # X-Strangler-Served-By / -Route / -Fallback on answers
    #: where a credential is exchanged for a service's JWT: a path on the monolith, a URL, "off"
    identity_exchange: str = DEFAULT_EXCHANGE

    def __post_init__(self) -> None:
        _check(lambda: Origin.parse(self.monolith_url), "--monolith")
        _check(lambda: self.identity_url, "--identity-exchange")
        positive = {
            "--workers": self.workers,
            "--max-header-bytes": self.max_header_bytes,
            "--max-body-bytes": self.max_body_bytes,
            "--max-concurrency": self.max_concurrency,
            "--connect-timeout": self.timeouts.connect,
            "--read-timeout": self.timeouts.read,
            "--total-timeout": self.timeouts.total,
            "--poll-interval": self.poll_interval,
            "--health-interval": self.health_interval,
            "--shadow-capture-bytes": self.shadow_capture_bytes,
            "--shadow-timeout": self.shadow_timeout,
            "--evidence-keep": self.evidence_keep,
            "--evidence-days": self.evidence_days,
            "--rollback-window": self.rollback_window,
        }
        for option, value in positive.items():
            if not value > 0:
                raise ConfigError(f"{option}: must be greater than 0, got {value}")
        for option, port in (("--port", self.port), ("--admin-port", self.admin_port)):
            if port is not None and not 0 <= port <= 65535:  # 0: the kernel picks one
                raise ConfigError(f"{option}: must be 0 to 65535, got {port}")
        if self.trusted_hops < 0:
            raise ConfigError(f"--trusted-hops: must be 0 or more, got {self.trusted_hops}")
        if not self.health_path.startswith("/"):
            raise ConfigError(f"--health-path: must start with '/', got {self.health_path!r}")
        if self.access_log not in (None, "-") and not Path(str(self.access_log)).parent.is_dir():
            raise ConfigError(f"--access-log: no such directory for {self.access_log!r}")
        if (self.admin_port is None) != (self.admin_host is None):
            raise ConfigError("--admin-listen: give host and port together")

    @property
    def monolith(self) -> Origin:
        return Origin.parse(self.monolith_url)

    @property
    def identity_url(self) -> str | None:
        """The identity exchange's URL; None: credentials go to services as they came."""
        return exchange_url(self.identity_exchange, self.monolith_url)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> EngineSettings:
        raw: dict[str, Any] = json.loads(text)
        raw["timeouts"] = Timeouts(**raw["timeouts"])
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})


def parse_listen(value: str, option: str) -> tuple[str, int]:
    """``host:port`` -> (host, port), naming ``option`` when it is not that; port 0 asks
    the kernel for a free one (the engine reports which).

    >>> parse_listen("127.0.0.1:0", "--listen"), parse_listen("[::1]:8080", "--listen")
    (('127.0.0.1', 0), ('::1', 8080))
    """
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"{option}: expected HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


def _check(build: Any, option: str) -> None:
    try:
        build()
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from exc
