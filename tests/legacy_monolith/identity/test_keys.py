"""The signing keys on disk: RFC 7638 kids, one first key whatever the race, rotation."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from django.core.management import call_command

from legacy_monolith.identity.keys import KeyRing, thumbprint
from strangler_proxy.stack.monolith import manage_py


def test_the_kid_is_the_rfc_7638_thumbprint():
    """RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key."""
    x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert thumbprint("Ed25519", x) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_the_first_key_is_created_on_first_use_private_to_its_owner(tmp_path):
    ring = KeyRing(tmp_path / "jwt")
    assert ring.published() == []
    key = ring.current()
    assert ring.current() == key
    (pem,) = (tmp_path / "jwt").iterdir()
    assert pem.name == "000001.pem"
    assert pem.stat().st_mode & 0o077 == 0
    assert key.public_jwk["kid"] == key.kid == thumbprint("Ed25519", key.x)


def test_racing_threads_agree_on_one_first_key(tmp_path):
    ring = KeyRing(tmp_path / "jwt")
    with ThreadPoolExecutor(8) as pool:
        kids = set(pool.map(lambda _: KeyRing(ring.directory).current().kid, range(32)))
    assert kids == {ring.current().kid}
    assert [p.name for p in ring.directory.iterdir()] == ["000001.pem"]


def test_racing_processes_agree_on_one_first_key(tmp_path):
    """Like gunicorn workers meeting an empty directory at once."""
    script = (
        "import sys; from pathlib import Path;"
        "from legacy_monolith.identity.keys import KeyRing;"
        "print(KeyRing(Path(sys.argv[1])).current().kid)"
    )
    argv = [sys.executable, "-c", script, str(tmp_path / "jwt")]
    children = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) for _ in range(6)]
    kids = {child.communicate(timeout=60)[0].strip() for child in children}
    assert len(kids) == 1
    assert kids == {KeyRing(tmp_path / "jwt").current().kid}


def test_rotation_keeps_the_previous_key_published_and_at_most_two(tmp_path):
    ring = KeyRing(tmp_path / "jwt")
    first = ring.current()
    second = ring.rotate()
    assert [k.kid for k in ring.published()] == [second.kid, first.kid]
    third = ring.rotate()
    assert [k.kid for k in ring.published()] == [third.kid, second.kid]
    assert ring.find(first.kid) is None
    assert sorted(p.name for p in ring.directory.iterdir()) == ["000002.pem", "000003.pem"]


def test_the_jwt_keys_command_lists_and_rotates(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JWT_KEYS_DIR", str(tmp_path / "jwt"))
    call_command("jwt_keys", "list")
    (first,) = capsys.readouterr().out.splitlines()
    kid = first.split()[0]
    assert first.split()[1] == "current"
    call_command("jwt_keys", "rotate")
    announced, current, previous = capsys.readouterr().out.splitlines()
    assert announced.startswith("New signing key ")
    assert current.split()[1] == "current" and current.split()[0] != kid
    assert previous.split()[:2] == [kid, "previous"]


def test_the_default_keys_dir_is_beside_the_database(tmp_path):
    """No JWT_KEYS_DIR: ``<STRANGLER_VAR_DIR>/jwt``, where the SQLite database lives."""
    env = {
        "STRANGLER_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "legacy_monolith.shop.settings",
    }
    done = subprocess.run(
        [sys.executable, str(manage_py()), "jwt_keys", "list"],
        env={**_clean_env(), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (tmp_path / "jwt").iterdir()] == ["000001.pem"]


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in {"JWT_KEYS_DIR", "DATABASE_URL"}}
