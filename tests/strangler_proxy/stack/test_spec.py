"""The stack as data: what `strangler up` will run, checked before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from strangler_proxy.stack.spec import (
    EMPTY_DATABASE,
    StackOptions,
    StackSpecError,
    default_stack,
)

MANAGE = Path("/src/legacy_monolith/manage.py")


def test_the_default_stack(tmp_path: Path) -> None:
    options = StackOptions.parse(monolith_port=8123, seed_size="tiny", var_dir=tmp_path / "var")
    stack = default_stack(options, python="/venv/bin/python", manage_py=MANAGE)

    migrate, seed = stack.prepare
    assert migrate.argv == ("/venv/bin/python", str(MANAGE), "migrate", "--noinput")
    assert seed.argv[2:] == ("seed_shop", "--size", "tiny")
    assert seed.skip_probe is not None and seed.skip_probe[2] == "shell"
    assert seed.run_on_probe_exit == EMPTY_DATABASE

    (monolith,) = stack.services
    assert monolith.url == "http://127.0.0.1:8123"
    assert monolith.health_url == "http://127.0.0.1:8123/health/"
    argv = " ".join(monolith.argv)
    assert "-m gunicorn legacy_monolith.shop.wsgi:application" in argv
    assert "--bind 127.0.0.1:8123" in argv
    assert "--worker-class gthread --workers 2" in argv
    assert f"--pid {tmp_path / 'var' / 'run' / 'monolith.pid'}" in argv
    assert stack.env["STRANGLER_VAR_DIR"] == str(tmp_path / "var")
    assert stack.cwd == Path("/src")
    assert stack.log_dir == tmp_path / "var" / "logs"
    assert [a.username for a in monolith.accounts] == ["customer0001, customer0002, ...", "staff"]


def test_a_relative_var_dir_is_made_absolute() -> None:
    options = StackOptions.parse(monolith_port=8000, seed_size="default", var_dir="var")
    assert options.var_dir.is_absolute() and options.var_dir.name == "var"


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"monolith_port": 0}, "--monolith-port"),
        ({"monolith_port": 70000}, "--monolith-port"),
        ({"seed_size": "Huge Size!"}, "--seed-size"),
    ],
)
def test_bad_options_name_themselves(options: dict[str, object], option: str) -> None:
    arguments: dict[str, object] = {"monolith_port": 8000, "seed_size": "tiny", "var_dir": "var"}
    with pytest.raises(StackSpecError) as caught:
        StackOptions.parse(**{**arguments, **options})  # type: ignore[arg-type]
    assert caught.value.option == option


def test_a_var_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "not-a-dir"
    file.write_text("")
    with pytest.raises(StackSpecError, match="not a directory"):
        StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir=file)
