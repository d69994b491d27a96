"""What ``strangler proxy run`` checks before it starts serving, and what it shows then.

Each check names the option at fault (``ConfigError``, shown as a usage error) before any
worker starts: the admin token, the access log, the flag store. The monolith not answering
its health URL is no error (it may come later): one warning line names it. Once bound, the
banner says what serves.
"""

from __future__ import annotations

from pathlib import Path

from strangler_proxy.engine.settings import ConfigError, EngineSettings
from strangler_proxy.store.base import Snapshot, redact


def monolith_warning(settings: EngineSettings, path: str) -> str | None:
    """The start-up warning when the monolith does not answer ``path`` with a 2xx (the health
    checks' rule), or None. Asked once, within the connect timeout."""
    import httpx

    from strangler_proxy.balancing.health import healthy_answer

    monolith = str(settings.monolith)
    url = monolith + path
    try:
        answer = httpx.get(url, timeout=settings.timeouts.connect, trust_env=False)
    except httpx.HTTPError as exc:
        failed = f"{type(exc).__name__}: {exc}"
    else:
        if healthy_answer(answer.status_code):
            return None
        failed = f"it answered HTTP {answer.status_code}"
    return (
        f"strangler proxy: warning: the monolith at {monolith} does not answer its health URL "
        f"{url} ({failed}); starting anyway: requests it should answer get a 502 until it does"
    )


def check_access_log(where: str | None) -> None:
    """Open the access log once here, so a file that cannot be written is named before
    workers start (each worker then opens its own handle)."""
    from strangler_proxy.engine.accesslog import AccessLog, AccessLogError

    if where is not None and where != "-":
        try:
            AccessLog.open(where).close()
        except AccessLogError as exc:
            raise ConfigError(f"--access-log: {exc}") from exc


def read_store(url: str) -> Snapshot:
    """Read the flag store once here, so a bad ``--store`` is named before workers start."""
    from strangler_proxy.store import StoreError, open_store

    try:
        store = open_store(url)
        try:
            return store.snapshot()
        finally:
            store.close()
    except (ValueError, StoreError, OSError) as exc:
        raise ConfigError(f"--store: {exc}") from exc


def banner(settings: EngineSettings, snapshot: Snapshot) -> None:
    """What is about to serve, as a table (routes by mode, services, limits)."""
    from collections import Counter

    from strangler_proxy.cli.tables import Column, Grid, show

    modes = Counter(route.mode.value for route in snapshot.table.routes())
    routes = ", ".join(f"{n} {m}" for m, n in sorted(modes.items())) or "none: all to the monolith"
    admin = f"http://{settings.admin_host}:{settings.admin_port}" if settings.admin_port else "off"
    t = settings.timeouts
    # URLs and paths stay whole (the value column wraps between words only)
    columns = (Column("", style="bold"), Column("", keep=False))
    table = Grid("strangler proxy", columns, show_header=False)
    for name, value in (
        ("listen", f"http://{settings.host}:{settings.port} ({settings.workers} worker(s))"),
        ("monolith", settings.monolith_url),
        ("store", f"{redact(settings.store_url)} (version {snapshot.version})"),
        ("routes", routes),
        ("services", ", ".join(s.name for s in snapshot.services) or "none"),
        ("admin", admin),
        ("identity", settings.identity_url or "off: services get clients' credentials"),
        ("timeouts", f"connect {t.connect:g} s, read {t.read:g} s, total {t.total:g} s"),
        ("limits", f"headers {settings.max_header_bytes} B, body {settings.max_body_bytes} B, "
                   f"{settings.max_concurrency} in flight per worker"),
    ):  # fmt: skip
        table.add(name, value)
    show(table)


def check_token(path: Path) -> None:
    """The admin token must be there and acceptable before anything starts."""
    from strangler_proxy.admin.auth import AdminTokens, TokenError

    token = path.read_text().strip()
    if not token:
        raise ConfigError(f"--admin-token-file: {path} is empty (no token, no flip)")
    try:
        AdminTokens.parse(token)
    except TokenError as exc:
        raise ConfigError(f"--admin-token-file: {exc}") from exc
