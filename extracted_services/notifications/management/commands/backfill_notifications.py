"""``manage.py backfill_notifications --from-db URL``.

Copies the monolith's notification templates, orders (id, number, customer) and
notifications through a read-only connection to its database (see ``backfill``): SQLite
``sqlite:///path/monolith.sqlite3`` or PostgreSQL ``postgres://user@host:5432/shop``.
Resumable and idempotent: run it again after an interruption; a re-run writes 0 rows.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress

from extracted_services.notifications.backfill import Report, backfill, check_source
from extracted_services.notifications.source import Source, SourceError, open_source


class Command(BaseCommand):
    help = "Copy the monolith's notifications and templates (read-only, by id, resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from-db",
            dest="source",
            default=os.environ.get("MONOLITH_DATABASE_URL"),
            metavar="URL",
            help="the monolith's database URL (default: $MONOLITH_DATABASE_URL)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["source"]:
            raise CommandError("--from-db: give the monolith's database URL")
        console = Console(file=sys.stderr)
        try:
            source = open_source(str(options["source"]))
        except SourceError as exc:
            raise CommandError(f"--from-db: {exc}") from exc
        try:
            report = self.copy(source, console)
        finally:
            source.close()
        for entity, tally in report.tallies.items():
            self.stdout.write(f"{entity}: {tally}")
        self.stdout.write(f"backfill done: {report.changed} rows written")

    def copy(self, source: Source, console: Console) -> Report:
        try:
            check_source(source)
        except SourceError as exc:
            raise CommandError(f"--from-db: {exc}") from exc
        with Progress(console=console, disable=not console.is_terminal) as bar:
            tasks: dict[str, Any] = {}

            def progress(entity: str, done: int, total: int) -> None:
                if entity not in tasks:
                    tasks[entity] = bar.add_task(entity, total=total)
                bar.update(tasks[entity], completed=done, total=total)

            try:
                return backfill(source, progress)
            except SourceError as exc:
                raise CommandError(f"backfill stopped: {exc} (run it again to resume)") from exc
