"""``strangler``: the toolkit's one command line.

Each subcommand lives in its own module and is imported only when it runs, so
``strangler --help`` stays fast and a broken feature cannot take the others down.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

#: subcommand name -> "module:attribute" of its click command.
COMMANDS: dict[str, str] = {
    "analyze": "strangler_proxy.cli.analyze:analyze",
    "compare": "strangler_proxy.cli.compare:compare",
    "diff": "strangler_proxy.cli.diff:diff",
    "diffs": "strangler_proxy.cli.diffs:diffs",
    "events": "strangler_proxy.cli.events:events",
    "routes": "strangler_proxy.cli.routes:routes",
    "services": "strangler_proxy.cli.services:services",
    "proxy": "strangler_proxy.cli.proxy:proxy",
    "reconcile": "strangler_proxy.cli.reconcile:reconcile",
    "traffic": "strangler_proxy.cli.traffic:traffic",
    "up": "strangler_proxy.cli.up:up",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._available()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = self._lazy.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        module = importlib.import_module(module_name)
        command = getattr(module, attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def _available(self) -> list[str]:
        names = []
        for name, target in self._lazy.items():
            module_name = target.split(":")[0]
            if importlib.util.find_spec(module_name) is not None:
                names.append(name)
        return names


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="strangler-fig")
def main() -> None:
    """Move a Django monolith to services one endpoint at a time."""
