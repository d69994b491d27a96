"""``manage.py seed_shop --size {tiny,small,default,large} --seed 42 [--flush]``."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from legacy_monolith.catalog.models import Product
from legacy_monolith.common.seed_sizes import SIZES
from legacy_monolith.common.seeding import CUSTOMER_PASSWORD, STAFF_PASSWORD, Seeder
from legacy_monolith.orders.models import Order


class Command(BaseCommand):
    help = "Fill an empty shop database with deterministic demo data."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="default")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--flush", action="store_true", help="wipe every table first (all data is lost)"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="seed only an empty database; otherwise say so and succeed (for `make demo`)",
        )

    def handle(self, *args, size, seed, flush, if_empty, verbosity, **options):
        console = Console(file=_Unended(self.stdout), highlight=False)
        if flush and if_empty:
            raise CommandError("--flush and --if-empty contradict each other; pick one.")
        held = self._data_held()
        if flush:
            call_command("flush", interactive=False, verbosity=0)
        elif held and if_empty:
            if verbosity >= 1:
                console.print(f"The database already holds data ({held}); not seeding.")
            return
        elif held:
            raise CommandError(
                f"The database is not empty ({held}). seed_shop only fills an empty database; "
                "run it with --flush to wipe everything first, or --if-empty to keep it."
            )
        spec = SIZES[size]
        started = time.perf_counter()
        with Progress(
            TextColumn("[bold]seeding[/] {task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            # a log or a pipe gets the table that stays, not the bar (rich would leave a blank
            # line there); tiny and small sizes are done before a bar could say anything
            disable=verbosity < 1 or size in ("tiny", "small") or not console.is_terminal,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=None)

            def report(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            with transaction.atomic():
                counts = Seeder(spec, seed, report).run()
        elapsed = time.perf_counter() - started
        if verbosity >= 1:
            table = Table(title=f"seed_shop --size {size} --seed {seed} ({elapsed:.1f} s)")
            table.add_column("model")
            table.add_column("rows", justify="right")
            for label, n in counts.items():
                table.add_row(label, f"{n:,}")
            console.print(table)
            console.print(
                f"Log in as customer0001..customer{spec.customers:04d} / {CUSTOMER_PASSWORD}, "
                f"or staff / {STAFF_PASSWORD}.",
                soft_wrap=True,  # never broken inside a password, whatever the width
            )

    def _data_held(self) -> str:
        """What the shop holds, like '7 users, 16 products'; empty for an empty shop."""
        found = {
            "users": get_user_model().objects.count(),
            "products": Product.objects.count(),
            "orders": Order.objects.count(),
        }
        return ", ".join(f"{n} {what}" for what, n in found.items() if n)


class _Unended:
    """``self.stdout`` for rich: Django's ``OutputWrapper`` ends every ``write()`` with a
    newline, so each redraw of a progress bar (``\r`` and the new frame, no newline) became
    a line of its own in the scrollback, and a pipe got blank lines for the cursor codes."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper
        self.encoding = getattr(wrapper, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        self.wrapper.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self.wrapper.flush()

    def isatty(self) -> bool:
        return self.wrapper.isatty()
