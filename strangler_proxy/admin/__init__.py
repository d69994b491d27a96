"""The admin API (ASGI, its own loopback port, bearer tokens) and its HTTP client.

The data plane mounts it next to the proxy::

    app = create_admin_app(store_url="sqlite:///var/flags.sqlite3", token=token,
                           metrics_text=metrics.render, health_snapshot=balancer.snapshot)
    # serve ``app`` with uvicorn on 127.0.0.1:<admin port>

Standalone: ``python -m strangler_proxy.admin --store sqlite:///var/flags.sqlite3 --port 8081``.

The same port serves the live migration dashboard at ``/dashboard`` (``admin.dashboard``).
"""

from strangler_proxy.admin.app import AdminApp, create_admin_app
from strangler_proxy.admin.auth import TOKEN_ENV, TOKENS_ENV, AdminTokens, TokenError
from strangler_proxy.admin.client import DEFAULT_ADMIN_URL, AdminClient, AdminError

__all__ = [
    "DEFAULT_ADMIN_URL",
    "TOKENS_ENV",
    "TOKEN_ENV",
    "AdminApp",
    "AdminClient",
    "AdminError",
    "AdminTokens",
    "TokenError",
    "create_admin_app",
]
