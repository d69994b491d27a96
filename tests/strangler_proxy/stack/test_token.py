"""The token files `strangler up` keeps: var/admin.token (the admin API), var/events.token
(the inboxes' EVENTS_TOKEN), made alike."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from strangler_proxy.admin.auth import AdminTokens
from strangler_proxy.stack.token import ensure_token_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_token_is_random_owner_only_and_usable(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "admin.token", tmp_path / "b" / "admin.token"
    assert ensure_token_file(first) and ensure_token_file(second)
    assert mode(first) == 0o600
    token = first.read_text().strip()
    assert token != second.read_text().strip()
    assert AdminTokens.single(token).who(f"Bearer {token}") == "admin"
    assert not (tmp_path / "a" / "admin.token.new").exists()


def test_a_token_is_kept_across_runs_and_its_mode_tightened(tmp_path: Path) -> None:
    path = tmp_path / "admin.token"
    path.write_text("a-token-someone-chose-0123\n")
    path.chmod(0o644)
    assert not ensure_token_file(path)
    assert path.read_text() == "a-token-someone-chose-0123\n"
    assert mode(path) == 0o600


def test_an_unusable_token_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "admin.token"
    path.write_text("short\n")
    assert ensure_token_file(path)
    assert len(path.read_text().strip()) >= 16


def test_as_a_command(tmp_path: Path) -> None:
    path = tmp_path / "admin.token"
    command = [sys.executable, "-m", "strangler_proxy.stack.token", str(path)]
    runs = [subprocess.run(command, capture_output=True, text=True) for _ in range(2)]
    assert [r.stdout.split()[0] for r in runs] == ["created", "kept"]
    blocked = tmp_path / "file"
    blocked.write_text("")
    failed = subprocess.run(
        [*command[:-1], str(blocked / "admin.token")], capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert "cannot write the token file" in failed.stderr


def test_one_command_makes_both_of_up_s_tokens(tmp_path: Path) -> None:
    admin, events = tmp_path / "admin.token", tmp_path / "events.token"
    command = [sys.executable, "-m", "strangler_proxy.stack.token", str(admin), str(events)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.stdout.splitlines() == [f"created {admin}", f"created {events}"]
    assert admin.read_text() != events.read_text(), "two secrets, not one"
    assert mode(admin) == mode(events) == 0o600
