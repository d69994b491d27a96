"""``strangler up``'s welcome: whole URLs, paths and commands, at 80 columns and in a pipe.

The stack itself is not started here (tests/strangler_proxy/stack/test_up.py does, slowly);
the welcome is printed for the stack ``strangler up`` would run, on ports nobody listens on
(so it also shows how to get a token when the proxy does not answer).
"""

from __future__ import annotations

import io
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from strangler_proxy.cli.welcome import welcome
from strangler_proxy.stack.monolith import manage_py
from strangler_proxy.stack.spec import StackOptions, default_stack
from strangler_proxy.stack.supervisor import Running

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def closed_ports() -> Iterator[tuple[int, int, int]]:
    """Three loopback ports bound but not listening: a connection there is refused."""
    sockets = [socket.socket() for _ in range(3)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    first, second, third = (s.getsockname()[1] for s in sockets)
    yield first, second, third
    for s in sockets:
        s.close()


def printed(tmp_path: Path, ports: tuple[int, int, int], console: Console) -> list[str]:
    monolith, proxy, admin = ports
    var_dir = tmp_path / "a-rather-long-state-directory-name" / "var"
    options = StackOptions.parse(
        monolith_port=monolith,
        seed_size="tiny",
        var_dir=str(var_dir),
        proxy_port=proxy,
        admin_port=admin,
    )
    stack = default_stack(
        options, python=sys.executable, manage_py=manage_py(), strangler=("strangler",)
    )
    running = [Running(s, 4242, var_dir / "logs" / f"{s.log_name}") for s in stack.services]
    welcome(console, options, running, {"analyze": "done", "routes": "done"})
    assert isinstance(console.file, io.StringIO)
    return ANSI.sub("", console.file.getvalue()).splitlines()


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal-80", "piped"])
def test_every_url_path_and_command_is_whole(
    tmp_path: Path, closed_ports: tuple[int, int, int], terminal: bool
) -> None:
    console = Console(file=io.StringIO(), width=80, force_terminal=terminal)
    lines = printed(tmp_path, closed_ports, console)
    text = "\n".join(lines)
    monolith, proxy, admin = closed_ports
    var_dir = tmp_path / "a-rather-long-state-directory-name" / "var"
    for value in (
        f"http://127.0.0.1:{proxy}",
        f"http://127.0.0.1:{monolith}",
        f"http://127.0.0.1:{admin}",
        (var_dir / "report" / "report.html").as_uri(),
        f"sqlite:///{var_dir / 'flags.sqlite3'}",
        str(var_dir / "admin.token"),
        "customer0001, customer0002, ... / shop-demo-pass",
    ):
        assert any(value in line for line in lines), f"{value} not whole in:\n{text}"
    commands = [
        f"curl -s 'http://127.0.0.1:{proxy}/api/catalog/products/?page_size=3'",
        f"STRANGLER_ADMIN_URL=http://127.0.0.1:{admin} "
        f"STRANGLER_ADMIN_TOKEN_FILE={var_dir / 'admin.token'} strangler routes list",
        f"strangler traffic --target http://127.0.0.1:{proxy} --duration 30 --rate 10 --users 5",
    ]
    for command in commands:
        assert f"  {command}" in lines, f"{command} not on a line of its own in:\n{text}"
    if not terminal:
        assert not any(re.search("[│┃━─]", line) for line in lines)


def test_it_says_once_how_to_get_strangler_on_the_path(
    tmp_path: Path, closed_ports: tuple[int, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(sys.executable).parents[2])  # the project's folder, as in the README
    lines = printed(tmp_path, closed_ports, Console(file=io.StringIO(), width=80))
    hints = [line for line in lines if "PATH" in line]
    assert len(hints) == 1
    assert hints[0].endswith("source .venv/bin/activate"), hints
