"""``services list`` against the real proxy's admin API: each instance up or down, in words,
as the proxy's health checks see it (never the raw JSON), whole at 80 columns and piped."""

from __future__ import annotations

import re
import secrets
import socket
from pathlib import Path

from click.testing import CliRunner

from strangler_proxy.cli import main
from strangler_proxy.store import SqliteFlagStore
from tests.strangler_proxy.proxy_stack import proxy, route, seed, standin, until

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_services_list_shows_each_instance_up_or_down(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(24)
    token_file = tmp_path / "admin.token"
    token_file.write_text(token + "\n")
    with (
        socket.socket() as closed,  # bound, never listening: connections are refused
        standin("monolith", tmp_path) as monolith,
        standin("catalog", tmp_path) as catalog,
    ):
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
        with SqliteFlagStore(tmp_path / "flags.sqlite3", create=True) as store:
            seed(store, {"catalog": [catalog.url, dead]}, [route("p", "/api/catalog/products/")])
        admin_args = ("--admin-listen", "127.0.0.1:0", "--admin-token-file", str(token_file))
        timing = ("--health-interval", "0.1")
        store_url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
        with proxy(monolith.url, store_url, tmp_path, *admin_args, *timing) as edge:
            env = {"STRANGLER_ADMIN_URL": edge.admin_url, "STRANGLER_ADMIN_TOKEN": token}

            def services_list(**extra: str) -> list[str]:
                result = CliRunner().invoke(main, ["services", "list"], env={**env, **extra})
                assert result.exit_code == 0, result.output
                return ANSI.sub("", result.output).splitlines()

            def row(lines: list[str], url: str) -> list[str]:
                return next(line.split() for line in lines if url in line.split())

            piped = until(
                lambda: (lines := services_list()) and row(lines, dead)[2] == "down" and lines,
                timeout=10.0,
            )
            live, refused = " ".join(row(piped, catalog.url)), " ".join(row(piped, dead))
            assert re.fullmatch(rf"catalog {catalog.url} up 0 \d+ s ago, ok", live), live
            assert re.fullmatch(
                rf"catalog {dead} down 0 \d+ s ago, failed: ConnectError.*", refused
            )
            assert not any("{" in line for line in piped), "no raw JSON"

            narrow = services_list(TTY_COMPATIBLE="1", COLUMNS="80")
            assert all(len(line) <= 80 for line in narrow), "\n".join(narrow)
            for url in (catalog.url, dead):
                assert any(url in line.split() for line in narrow), "\n".join(narrow)
            assert "down" in " ".join(narrow).split()
