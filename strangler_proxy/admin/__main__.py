"""Run the admin API on its own: ``python -m strangler_proxy.admin --store URL --port N``.

The token comes from ``STRANGLER_ADMIN_TOKEN`` (or ``STRANGLER_ADMIN_TOKENS``). The proxy
normally serves this app itself; this entry point is for a control plane without a proxy.
``--port 0`` lets the kernel pick; once bound it prints one line (``LISTENING`` reads it)::

    strangler admin listening on http://127.0.0.1:41029
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import socket
import sys
from pathlib import Path

import uvicorn

from strangler_proxy.admin.app import AdminApp
from strangler_proxy.admin.auth import AdminTokens, TokenError
from strangler_proxy.admin.evidence import EvidenceView
from strangler_proxy.evidence.store import default_evidence_url
from strangler_proxy.store import DEFAULT_STORE_URL, StoreError, open_store

#: the line printed once the admin API listens
LISTENING = re.compile(r"^strangler admin listening on http://(?P<host>\S+):(?P<port>\d+)$", re.M)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m strangler_proxy.admin")
    parser.add_argument("--store", default=DEFAULT_STORE_URL)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0: any free port (printed)")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (not advised)"
    )
    parser.add_argument(
        "--evidence",
        default=None,
        help="shadow evidence for /diffs and the promotion gate (default: beside the store)",
    )
    parser.add_argument(
        "--rules", default="strangler-rules.toml", help="the comparison rules file (gate bars)"
    )
    args = parser.parse_args(argv)
    if not is_loopback(args.host) and not args.allow_remote:
        parser.error(f"--host {args.host} is not loopback; add --allow-remote if you mean it")
    try:
        tokens = AdminTokens.from_env()
    except TokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        store = open_store(args.store)  # one that is not there is an error, never created
    except (StoreError, ValueError) as exc:
        print(f"error: --store: {exc}", file=sys.stderr)
        return 2
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        sock = socket.create_server((args.host, args.port), family=family)
    except OSError as exc:
        store.close()
        print(f"error: --port: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"strangler admin listening on http://{host}:{sock.getsockname()[1]}", flush=True)
    evidence = EvidenceView(
        args.evidence or default_evidence_url(args.store), Path(args.rules) if args.rules else None
    )
    app = AdminApp(store, tokens, evidence=evidence)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
