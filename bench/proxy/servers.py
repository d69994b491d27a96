"""The processes a benchmark row measures, each a ``ManagedProcess`` on a free loopback port:
a fast upstream (nginx static, else a tiny uvloop server), nginx as reverse proxy, our
engine (``strangler proxy run``), the mitmproxy engine, and the monolith under gunicorn.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from strangler_proxy.routing import Mode, Route
from strangler_proxy.stack.monolith import gunicorn_argv, monolith_env, prepare_database
from strangler_proxy.stack.process import ManagedProcess, free_port
from strangler_proxy.store import open_store

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MITM_BIN = ROOT / ".venv-mitm" / "bin"
#: What the benchmark requests through every proxy; it matches a route of the bench table.
FAST_PATH = "/api/catalog/products/1/"


class Missing(RuntimeError):
    """A tool a row needs is not installed; the message says how to get it."""


@dataclass(frozen=True)
class Server:
    name: str
    url: str  # base URL, no trailing "/"
    process: ManagedProcess


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        raise Missing("nginx is not installed (apt-get install -y nginx)")
    return found


def nginx_conf(work: Path, port: int, upstream: str | None) -> str:
    """One worker, no access log; a static answer, or a pooled keep-alive reverse proxy."""
    temp = "\n".join(
        f"  {kind}_temp_path {work}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    if upstream is None:
        backend = ""
        location = 'default_type application/json; return 200 \'{"ok": true, "from": "nginx"}\';'
    else:
        backend = f"upstream backend {{ server {upstream}; keepalive 64; }}"
        location = (
            "proxy_pass http://backend; proxy_http_version 1.1; "
            'proxy_set_header Connection ""; proxy_set_header Host $host; '
            "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"
        )
    return f"""worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
{temp}
  {backend}
  server {{
    listen 127.0.0.1:{port};
    location / {{ {location} }}
  }}
}}
"""


def start_nginx(
    name: str, work: Path, upstream: str | None = None, health_path: str = "/"
) -> Server:
    binary = nginx_binary()
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(nginx_conf(work, port, upstream))
    argv = [binary, "-p", str(work), "-c", str(conf), "-e", str(work / "error.log")]
    proc = ManagedProcess(
        name, argv, health_url=f"http://127.0.0.1:{port}{health_path}", log_path=work / "out.log"
    )
    return Server(name, f"http://127.0.0.1:{port}", proc.start())


def start_fast_upstream(work: Path) -> Server:
    """nginx answering statically when installed, else the tiny uvloop server."""
    try:
        return start_nginx("nginx static", work / "upstream")
    except Missing:
        return start_uvloop_upstream(work)


def start_uvloop_upstream(work: Path, *mode: str) -> Server:
    """``upstream.py``: a tiny uvloop server (``"exchange"``: an ID provider as fast)."""
    port = free_port()
    name = "uvloop " + (mode[0] if mode else "upstream")
    argv = [sys.executable, str(Path(__file__).with_name("upstream.py")), str(port), *mode]
    proc = ManagedProcess(
        name, argv, health_url=f"http://127.0.0.1:{port}/", log_path=work / f"{name}.log"
    )
    return Server(name, f"http://127.0.0.1:{port}", proc.start())


def bench_store(work: Path, routes: int = 40) -> str:
    """A flag store with a realistic table: ``routes`` routes, all on the monolith, one of
    them matching ``FAST_PATH``. Returns its URL."""
    url = f"sqlite:///{work / 'flags.sqlite3'}"
    table = [
        Route(
            f"bench-{i}", frozenset({"GET"}), f"/api/area{i}/items/{{pk:int}}/", None, Mode.MONOLITH
        )
        for i in range(routes - 1)
    ]
    table.append(
        Route(
            "catalog-product-detail",
            frozenset({"GET", "PUT"}),
            "/api/catalog/products/{pk:int}/",
            None,
            Mode.MONOLITH,
        )
    )
    store = open_store(url, create=True)
    try:
        store.upsert_routes(table, actor="bench", reason="benchmark route table")
    finally:
        store.close()
    return url


def start_engine(
    work: Path,
    monolith: str,
    store_url: str,
    workers: int,
    health_path: str,
    *extra: str,
    env: Mapping[str, str] | None = None,
) -> Server:
    name = f"strangler engine, {workers} worker{'s' if workers > 1 else ''}"
    port = free_port()
    argv = [
        str(BIN / "strangler"), "proxy", "run",
        "--monolith", monolith,
        "--store", store_url,
        "--listen", f"127.0.0.1:{port}",
        "--workers", str(workers),
        *extra,
    ]  # fmt: skip
    log = work / f"engine-{workers}-{port}.log"
    proc = ManagedProcess(
        name, argv, health_url=f"http://127.0.0.1:{port}{health_path}", log_path=log, env=env
    )
    return Server(name, f"http://127.0.0.1:{port}", proc.start())


def start_mitm(work: Path, monolith: str, store_url: str, health_path: str) -> Server:
    mitmdump = MITM_BIN / "mitmdump"
    if not mitmdump.exists():
        raise Missing("the mitmproxy environment is missing (make mitm)")
    port = free_port()
    argv = [
        str(mitmdump), "-q",
        "-s", str(ROOT / "strangler_proxy" / "mitm" / "addon.py"),
        "--mode", f"reverse:{monolith}",
        "--listen-host", "127.0.0.1", "--listen-port", str(port),
        "--set", f"strangler_store={store_url}",
        "--set", f"confdir={work / 'mitm-conf'}",
    ]  # fmt: skip
    proc = ManagedProcess(
        "mitmproxy engine",
        argv,
        health_url=f"http://127.0.0.1:{port}{health_path}",
        log_path=work / "mitm.log",
    )
    return Server("mitmproxy engine", f"http://127.0.0.1:{port}", proc.start())


def start_monolith(work: Path, workers: int = 2, threads: int = 4) -> Server:
    """The real monolith under gunicorn (gthread), migrated and seeded (tiny).

    With several workers the kernel splits wrk's and each proxy's keep-alive connections
    between them by chance, which moves the monolith's throughput by 2x between runs; one
    worker with the same threads measures the proxies more steadily.
    """
    var = work / "monolith"
    var.mkdir(parents=True, exist_ok=True)
    env = monolith_env(var)
    prepare_database(sys.executable, env, size="tiny")
    port = free_port()
    argv = gunicorn_argv(sys.executable, port, workers=workers, threads=threads)
    proc = ManagedProcess(
        "monolith", argv, health_url=f"http://127.0.0.1:{port}/health/", env=env, cwd=ROOT,
        log_path=var / "gunicorn.log",
    )  # fmt: skip
    return Server(f"gunicorn {workers}x{threads}", f"http://127.0.0.1:{port}", proc.start())


def monolith_path(base_url: str, wanted: str) -> str:
    """``wanted`` if the monolith answers it with 200, else its health check."""
    try:
        ok = httpx.get(base_url + wanted, timeout=10, trust_env=False).status_code == 200
    except httpx.HTTPError:
        ok = False
    return wanted if ok else "/health/"
