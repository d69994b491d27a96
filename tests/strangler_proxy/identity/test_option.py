"""The option that turns the exchange on: read once, a bad value named before anything
starts, in both engines; ``off`` turns it off."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from strangler_proxy.cli.proxy import proxy
from strangler_proxy.engine.settings import ConfigError, EngineSettings
from strangler_proxy.store import open_store
from tests.strangler_proxy.mitm.conftest import MITM_BIN, mitmdump_argv

BAD = "ftp://idp/exchange/"
SAID = (
    "expected a path on the monolith (/api/...), an http:// URL or 'off', got 'ftp://idp/exchange/'"
)


@pytest.mark.parametrize(
    ("value", "url"),
    [
        (None, "http://127.0.0.1:8000/api/auth/jwt/exchange/"),  # on by default
        ("/idp/exchange/", "http://127.0.0.1:8000/idp/exchange/"),
        ("http://127.0.0.1:9000/x/", "http://127.0.0.1:9000/x/"),
        ("off", None),
    ],
)
def test_the_engine_settings_say_where_it_exchanges(value: str | None, url: str | None) -> None:
    settings = EngineSettings(monolith_url="http://127.0.0.1:8000/")
    if value is not None:
        settings = replace(settings, identity_exchange=value)
    assert settings.identity_url == url
    assert EngineSettings.from_json(settings.to_json()).identity_url == url  # to each worker


def test_proxy_run_names_a_bad_value_before_starting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^--identity-exchange: expected a path"):
        EngineSettings(monolith_url="http://127.0.0.1:8000", identity_exchange=BAD)
    argv = ["run", "--monolith", "http://127.0.0.1:9", "--identity-exchange", BAD,
            "--store", f"sqlite:///{tmp_path}/flags.sqlite3"]  # fmt: skip
    done = CliRunner().invoke(proxy, argv)
    assert done.exit_code == 2, done.output
    assert f"--identity-exchange: {SAID}" in done.output
    assert list(tmp_path.iterdir()) == []  # nothing started, no store made


def test_mitmdump_names_a_bad_value_at_startup(tmp_path: Path) -> None:
    store = tmp_path / "flags.sqlite3"
    open_store(f"sqlite:///{store}", create=True).close()
    argv = mitmdump_argv(MITM_BIN, tmp_path, "http://127.0.0.1:9", f"sqlite:///{store}",
                         "--set", f"strangler_identity_exchange={BAD}")  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert f"strangler_identity_exchange={BAD!r}: {SAID}" in output, output
