import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from strangler_proxy.cli import main
from strangler_proxy.routing import Mode
from tests.strangler_proxy.cli.conftest import TOKEN, RunningAdmin


def strangler(
    admin: RunningAdmin, *args: str, token: str | None = TOKEN, token_file: str = "/nonexistent"
) -> Result:
    env = {
        "STRANGLER_ADMIN_URL": admin.url,
        "STRANGLER_ADMIN_TOKEN_FILE": token_file,
        "COLUMNS": "200",
        "USER": "alice",
    }
    if token is not None:
        env["STRANGLER_ADMIN_TOKEN"] = token
    return CliRunner().invoke(main, list(args), env=env)


def test_list_set_and_history(running_admin: RunningAdmin) -> None:
    listed = strangler(running_admin, "routes", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.index("product-list") < listed.output.index("product-detail")
    assert "(suggested: catalog)" in listed.output

    flipped = strangler(
        running_admin,
        "routes",
        "set",
        "product-list",
        "canary",
        "--percent",
        "10",
        "--reason",
        "try 10%",
        "--force",  # past the promotion gate (tests/strangler_proxy/cli/test_promotion_gate.py)
    )
    assert flipped.exit_code == 0, flipped.output
    assert flipped.output.strip() == "product-list: canary 10% -> catalog"
    route = running_admin.store().get_route("product-list")
    assert (route.mode, route.percent, route.service) == (Mode.CANARY, 10, "catalog")

    history = strangler(running_admin, "routes", "history", "product-list")
    assert history.exit_code == 0, history.output
    assert "try 10%" in history.output
    assert "alice (token admin)" in history.output
    assert "canary 10% -> catalog" in history.output


def test_services_register_and_list(running_admin: RunningAdmin) -> None:
    registered = strangler(
        running_admin,
        "services",
        "register",
        "orders",
        "http://127.0.0.1:8102/",
        "http://127.0.0.1:8103",
    )
    assert registered.exit_code == 0, registered.output
    assert registered.output.strip() == "orders: http://127.0.0.1:8102, http://127.0.0.1:8103"
    listed = strangler(running_admin, "services", "list")
    assert listed.exit_code == 0
    assert "orders" in listed.output and "http://127.0.0.1:8103" in listed.output
    assert [s.name for s in running_admin.store().services()] == ["catalog", "orders"]


def test_services_load_from_a_file(running_admin: RunningAdmin, tmp_path: Path) -> None:
    path = tmp_path / "services.toml"
    path.write_text(
        '[services]\norders = ["http://127.0.0.1:8102"]\ncatalog = ["http://127.0.0.1:8111"]\n'
    )
    loaded = strangler(running_admin, "services", "load", str(path))
    assert loaded.exit_code == 0, loaded.output
    assert {(s.name, s.instances) for s in running_admin.store().services()} == {
        ("orders", ("http://127.0.0.1:8102",)),
        ("catalog", ("http://127.0.0.1:8111",)),
    }
    path.write_text('[services]\norders = ["nope"]\n')
    bad = strangler(running_admin, "services", "load", str(path))
    assert bad.exit_code == 1 and "urls: bad instance URL 'nope'" in bad.output


def test_api_errors_are_one_clear_line_and_exit_1(running_admin: RunningAdmin) -> None:
    cases = [
        (("routes", "list"), "wrong-token-0123456789abc", "401: missing or wrong admin token"),
        (
            ("routes", "set", "nope", "service", "--reason", "r"),
            TOKEN,
            "404: route: unknown route 'nope'",
        ),
        (
            ("routes", "set", "product-detail", "service", "--reason", "r"),
            TOKEN,
            "400: service: mode service needs a service",
        ),
        (
            ("routes", "set", "product-list", "service", "--service", "ghost", "--reason", "r"),
            TOKEN,
            "400: service: unknown service 'ghost'",
        ),
        (
            ("services", "register", "Bad", "http://127.0.0.1:1"),
            TOKEN,
            "400: name: bad service name",
        ),
        (("routes", "history", "nope"), TOKEN, "404: route: unknown route 'nope'"),
    ]
    version = running_admin.store().version()
    for args, token, message in cases:
        result = strangler(running_admin, *args, token=token)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.count("\n") == 1 and message in result.output, result.output
    assert running_admin.store().version() == version


def test_no_token_and_no_admin_are_clear(running_admin: RunningAdmin, tmp_path: Path) -> None:
    result = strangler(running_admin, "routes", "list", token=None)
    assert result.exit_code == 1 and "no admin token" in result.output
    token_file = tmp_path / "admin.token"
    token_file.write_text(TOKEN + "\n")
    result = strangler(running_admin, "routes", "list", token=None, token_file=str(token_file))
    assert result.exit_code == 0 and "product-list" in result.output
    result = CliRunner().invoke(
        main,
        ["routes", "list", "--admin", "http://127.0.0.1:9", "--token", TOKEN],
        env={"STRANGLER_ADMIN_URL": None},
    )
    assert (
        result.exit_code == 1
        and "cannot reach the admin API at http://127.0.0.1:9" in result.output
    )


def test_the_installed_command_prints_one_line_on_stderr(running_admin: RunningAdmin) -> None:
    strangler_bin = [sys.executable, "-c", "from strangler_proxy.cli import main; main()"]
    done = subprocess.run(
        [
            *strangler_bin,
            "routes",
            "set",
            "product-list",
            "canary",
            "--percent",
            "5",
            "--service",
            "ghost",
            "--reason",
            "r",
        ],
        env={"STRANGLER_ADMIN_URL": running_admin.url, "STRANGLER_ADMIN_TOKEN": TOKEN, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "Error: 400: service: unknown service 'ghost' (register it first)\n"
