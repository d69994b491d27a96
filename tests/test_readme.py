"""README.md's commands work as written: the first hour of a new user (issue 8).

A new user copies the commands of the README's ``sh`` blocks into a shell, in the
project's folder with ``.venv`` active (its Quick start says so). Each one must at least
parse with the installed tools: ``.venv/bin/strangler``, the venv's ``python``, ``make``,
``.venv-mitm/bin/mitmdump`` and ``curl``. Nothing here runs the stack: a command is parsed
by its own parser and asked for ``--help``, dry-run (``make -n``), or stopped as soon as it
is up. A README command that does not parse fails with its line quoted.

A README line becomes arguments as a shell would split it (``readme_commands``), with
``\\`` continuations joined, ``# comments`` dropped, ``[--optional ...]`` brackets expanded
and each UPPER-CASE placeholder (``PATH``, ``N``, ``DIR``) given a value from ``SAMPLES``.

The figures the README gives about the monolith (models, endpoints, route templates) are
checked against what ``strangler analyze`` reports on it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest

from strangler_proxy.admin.__main__ import LISTENING as ADMIN_LISTENING
from strangler_proxy.stack.process import ManagedProcess

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent  # the installed environment the tests run in: .venv/bin
MITMDUMP = ROOT / ".venv-mitm" / "bin" / "mitmdump"

#: A value for each UPPER-CASE placeholder the README's commands use.
SAMPLES = {
    "PATH": "legacy_monolith",
    "N": "2",
    "R": "1.5",
    "DIR": "var/cache",
    "FILE": "legacy_monolith/domain_truth.json",
    "URL": "http://127.0.0.1:8000",
}
PLACEHOLDER = re.compile(r"[A-Z][A-Z_]*\Z")
#: Lines of the README that are not this project's tools: listed as skipped, with why.
NOT_RUN = {
    "export": "a shell built-in: it sets the environment of the commands after it",
    "apt-get": "installs system packages as root; the README says they are not installed",
    "kill": "signals a process of the running stack (the pid its welcome table shows)",
    "nats-server": "the broker's own binary, not this project's (tests/strangler_proxy/stack/"
    "test_up_broker.py runs it under strangler up --broker)",
    "promtool": "Prometheus's own tool, not this project's (tests/strangler_proxy/stack/"
    "test_prometheus.py checks the generated rules with it)",
}

#: Loaded by mitmdump beside the README's addon: once everything is loaded and every
#: option applied, it stops mitmdump; an option nobody declared is an error (exit 1).
STOP_ONCE_RUNNING = """\
import logging

from mitmproxy import ctx


def running():
    unknown = sorted(ctx.options.deferred)
    if unknown:
        logging.error("unknown option(s): %s", ", ".join(unknown))
    ctx.master.shutdown()
"""


@dataclass(frozen=True)
class Command:
    line: str  # as the README shows it, continuations joined
    argv: tuple[str, ...]  # as the shell passes it, placeholders given their sample


def readme_commands(text: str) -> list[Command]:
    r"""Every command of the ``sh`` blocks of ``text``.

    >>> block = "```sh\nstrangler analyze [PATH] \\\n    [--jobs N]   # a note\n```\n"
    >>> [c.argv for c in readme_commands(block)]
    [('strangler', 'analyze', 'legacy_monolith', '--jobs', '2')]
    """
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.M | re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            words = [w.removeprefix("[").removesuffix("]") for w in shlex.split(line, True)]
            if words:
                argv = tuple(SAMPLES.get(w, w) for w in words)
                commands.append(Command(line.split(" #")[0].strip(), argv))
    return commands


COMMANDS = readme_commands(README.read_text())


def click_parse(command: click.Command, prog: str, args: Sequence[str]) -> list[str]:
    """Parse ``args`` as ``command`` would, sub-commands included, running nothing; the names
    of the sub-commands found. An unknown option, a bad value or a missing argument raises
    click's ``UsageError``."""
    ctx = command.make_context(prog, list(args))
    names = []
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]  # what click's Group.invoke resolves
        name, sub, rest = command.resolve_command(ctx, rest)
        assert name is not None and sub is not None
        names.append(name)
        command, ctx = sub, sub.make_context(name, rest, parent=ctx)
    return names


def run(argv: Sequence[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=60, **kwargs
    )


def answers_help(argv: Sequence[str | Path], line: str, cwd: Path = ROOT) -> None:
    done = run([*argv, "--help"], cwd=cwd)
    assert done.returncode == 0, f"README: {line}\n--help failed:\n{done.stdout}{done.stderr}"


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``strangler analyze`` on the monolith: its report.json."""
    out = tmp_path_factory.mktemp("analysis")
    done = run([BIN / "strangler", "analyze", "--out", out, "--cache-dir", out / "cache"], cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    return report


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory, analysis: dict[str, Any]) -> Path:
    """A folder laid out as the project's after ``make demo``: the sources the commands
    name, ``var/flags.sqlite3`` filled by ``strangler routes import``, and a request list
    such as a user writes for ``strangler compare``."""
    folder = tmp_path_factory.mktemp("demo")
    for name in ("legacy_monolith", "strangler_proxy", "tests"):  # tests: its request lists
        (folder / name).symlink_to(ROOT / name)
    (folder / "var").mkdir()
    # the user's own files the README's commands name
    (folder / "requests.yaml").write_text("requests:\n  - GET /api/catalog/products/1/\n")
    (folder / "strangler-rules.toml").write_text('[global]\nunordered = [{path = "$..tags"}]\n')
    report = folder / "report.json"
    report.write_text(json.dumps(analysis))
    store = f"sqlite:///{folder / 'var' / 'flags.sqlite3'}"
    done = run([BIN / "strangler", "routes", "import", "--from", report, "--store", store])
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def check_strangler(command: Command, demo_folder: Path) -> None:
    from strangler_proxy.cli import main

    try:
        with contextlib.chdir(demo_folder):  # the files a command names are the demo's
            names = click_parse(main, "strangler", command.argv[1:])
    except click.UsageError as exc:
        pytest.fail(f"README: {command.line}\ndoes not parse: {exc.format_message()}")
    answers_help([BIN / "strangler", *names], command.line)


def check_python(command: Command, demo_folder: Path) -> None:
    args = command.argv[1:]
    if args[:2] == ("-m", "strangler_proxy.admin"):
        # Run as written, without a token: it parses its arguments, then stops at the token.
        env = {k: v for k, v in os.environ.items() if not k.startswith("STRANGLER_ADMIN_TOKEN")}
        done = run([sys.executable, *args], cwd=demo_folder, env=env)
        stopped_at_the_token = done.returncode == 2 and "STRANGLER_ADMIN_TOKEN" in done.stderr
        assert stopped_at_the_token, f"README: {command.line}\n{done.stderr}"
    elif args[:2] == ("-m", "bench.proxy"):
        from bench.proxy.__main__ import main as bench

        try:
            click_parse(bench, "python -m bench.proxy", args[2:])
        except click.UsageError as exc:
            pytest.fail(f"README: {command.line}\ndoes not parse: {exc.format_message()}")
        answers_help([sys.executable, *args], command.line)
    elif args[:2] == ("-m", "strangler_proxy.stack.prometheus"):
        # it prints the rules (with the README's rules file's budgets): run as written, its
        # output read here rather than redirected to a file
        printed = args[: args.index(">")] if ">" in args else args
        done = run([sys.executable, *printed], cwd=ROOT)
        assert done.returncode == 0, f"README: {command.line}\n{done.stderr}"
        assert "StranglerErrorBudgetSpent" in done.stdout, f"README: {command.line}"
    elif args[0] == "legacy_monolith/manage.py":
        from django.core.management import CommandError, get_commands, load_command_class

        name, *rest = args[1:]
        assert name in get_commands(), f"README: {command.line}\nno manage.py command {name}"
        parser = load_command_class(get_commands()[name], name).create_parser("manage.py", name)
        try:
            parser.parse_args(rest)
        except CommandError as exc:
            pytest.fail(f"README: {command.line}\ndoes not parse: {exc}")
        answers_help([sys.executable, *args[:2]], command.line)
    elif args[:2] == ("-m", "extracted_services.catalog") or (
        args[:2] == ("-m", "extracted_services.catalog.manage")
    ):
        # the service's own entry points (argparse, Django's parser): every option the
        # README gives is one their --help lists
        upto = 3 if args[1].endswith(".manage") else 2
        done = run([sys.executable, *args[:upto], "--help"], cwd=demo_folder)
        assert done.returncode == 0, f"README: {command.line}\n{done.stderr}"
        missing = [a for a in args[upto:] if a.startswith("--") and a not in done.stdout]
        assert not missing, f"README: {command.line}\nnot in its --help: {missing}"
    else:
        pytest.fail(f"README: {command.line}\nno check for this python command: add one here")


def check_make(command: Command, demo_folder: Path) -> None:
    done = run(["make", "-n", *command.argv[1:]], cwd=ROOT)
    assert done.returncode == 0, f"README: {command.line}\n{done.stderr}"


def check_mitmdump(command: Command, demo_folder: Path) -> None:
    if not MITMDUMP.exists():
        pytest.skip(".venv-mitm is missing: `make mitm` builds it (`make test` does)")
    stop = demo_folder / "stop_once_running.py"
    stop.write_text(STOP_ONCE_RUNNING)
    # -n: no proxy server (nothing listens); every option and the addon are applied
    done = run([MITMDUMP, *command.argv[1:], "-n", "-s", stop], cwd=demo_folder)
    assert done.returncode == 0, f"README: {command.line}\n{done.stdout}{done.stderr}"


def check_curl(command: Command, demo_folder: Path) -> None:
    # Its URL points at a loopback port that refuses: curl gets as far as connecting (exit
    # 7) only when it accepted every option.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        argv = [re.sub(r"^http://[^/]+", f"http://127.0.0.1:{port}", a) for a in command.argv]
        done = run(argv, cwd=demo_folder)
    assert done.returncode == 7, f"README: {command.line}\ncurl: {done.stderr}"


def check_source(command: Command, demo_folder: Path) -> None:
    # the environment's activation script, made by `make install` (as `make test` did)
    (script,) = command.argv[1:]
    assert (ROOT / script).is_file(), f"README: {command.line}\nno {script} here"


CHECKS = {
    "source": check_source,
    "strangler": check_strangler,
    "python": check_python,
    "make": check_make,
    ".venv-mitm/bin/mitmdump": check_mitmdump,
    "curl": check_curl,
}


@pytest.mark.parametrize("command", COMMANDS, ids=[c.line for c in COMMANDS])
def test_every_readme_command_parses_with_the_installed_tools(
    command: Command, demo_folder: Path
) -> None:
    program = command.argv[0]
    if program in NOT_RUN:
        pytest.skip(f"{program}: {NOT_RUN[program]}")
    unknown = [w for w in command.argv if PLACEHOLDER.match(w)]
    assert not unknown, f"README: {command.line}\nplaceholders without a sample: {unknown}"
    assert program in CHECKS, f"README: {command.line}\nno check for {program!r}: add one"
    CHECKS[program](command, demo_folder)


def test_the_readme_covers_every_tool() -> None:
    shown = {c.argv[0] for c in COMMANDS}
    assert {"strangler", "python", "make", ".venv-mitm/bin/mitmdump", "curl"} <= shown


def test_the_standalone_admin_api_says_where_it_listens(demo_folder: Path) -> None:
    """The README's ``python -m strangler_proxy.admin`` with a token and ``--port 0``."""
    (admin,) = [c for c in COMMANDS if c.argv[:3] == ("python", "-m", "strangler_proxy.admin")]
    argv = [sys.executable, *admin.argv[1:]]
    argv[argv.index("--port") + 1] = "0"
    with ManagedProcess(
        "admin",
        argv,
        health_url="http://127.0.0.1:{port}/health",
        announces=ADMIN_LISTENING,
        env={"STRANGLER_ADMIN_TOKEN": "readme-token-0123456789"},
        cwd=demo_folder,
        log_path=demo_folder / "admin.log",
    ) as process:
        assert process.running()
        assert ADMIN_LISTENING.search((demo_folder / "admin.log").read_text())


def _flat(path: Path) -> str:
    """The text with its line breaks and runs of spaces made one space."""
    return " ".join(path.read_text().split())


def test_the_monolith_counts_in_the_docs_are_the_analyzers(analysis: dict[str, Any]) -> None:
    models, endpoints = analysis["models"], analysis["endpoints"]
    own = [m for m in models if m["module"] and not (m["abstract"] or m["proxy"])]
    extra_models = [m["label"] for m in models if m not in own]
    api = [e for e in endpoints if e["pattern"].startswith("/api/")]
    extra_endpoints = [e["pattern"] for e in endpoints if e not in api]
    readme, domain = _flat(README), _flat(ROOT / "legacy_monolith" / "DOMAIN.md")
    said = [
        (readme, f"counts {len(models)} models and {len(endpoints)} endpoints"),
        (readme, f"the shop's {len(own)} concrete models"),
        (readme, f"{len(api)} API routes under `/api/`"),
        (readme, f"`strangler routes import` makes {len(endpoints)} routes"),
        (domain, f"{len(own)} concrete models and {len(api)} URL patterns under `/api/`"),
        (domain, f"counts {len(models)} models and {len(endpoints)} endpoints"),
    ]
    assert [claim for text, claim in said if claim not in text] == []
    # and the README names what the analyzer counts beyond the shop's own
    assert [x for x in extra_models + extra_endpoints if f"`{x}`" not in readme] == []


def _templates(path: Path) -> set[str]:
    return set(re.findall(r"`(/api/[^`\s]*\{[^`\s]*)`", path.read_text()))


def test_every_route_template_the_docs_show_is_one_the_tools_make(
    analysis: dict[str, Any],
) -> None:
    made = {e["pattern"] for e in analysis["endpoints"]}
    shown = {doc: _templates(ROOT / doc) for doc in ("README.md", "analysis/report/SCHEMA.md")}
    assert all(shown.values()), "each document shows a template"
    assert {doc: templates - made for doc, templates in shown.items()} == {
        doc: set() for doc in shown
    }


def test_the_commands_are_split_as_a_shell_would() -> None:
    """Quotes hold words together, comments go, brackets open, placeholders get a value."""
    block = '```sh\nstrangler routes set x canary --percent 5 --reason "first 5%"  # go\n```\n'
    assert readme_commands(block)[0].argv[-2:] == ("--reason", "first 5%")
    (command,) = readme_commands("```sh\nstrangler analyze [--cache-dir DIR]\n```\n")
    assert command.argv == ("strangler", "analyze", "--cache-dir", "var/cache")
