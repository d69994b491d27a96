"""``manage.py backfill_catalog --from http://MONOLITH [--token KEY]``.

Copies the monolith's catalog through its public API (see ``catalog.backfill``). Without a
staff token the monolith shows only active products, so inactive ones (and their prices)
are not copied: give ``--token`` (or ``CATALOG_BACKFILL_TOKEN``) of a staff user.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress

from extracted_services.catalog.backfill import BackfillError, backfill


class Command(BaseCommand):
    help = "Copy the monolith's categories, products, prices and reviews (by id, resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", required=True, metavar="URL")
        parser.add_argument(
            "--token", default=os.environ.get("CATALOG_BACKFILL_TOKEN"), help="a staff token"
        )
        parser.add_argument("--timeout", type=float, default=30.0)

    def handle(self, *args: Any, **options: Any) -> None:
        source = str(options["source"]).rstrip("/")
        if not source.startswith(("http://", "https://")):
            raise CommandError(f"--from {source!r}: give the monolith's http(s):// base URL")
        headers = {"Authorization": f"Token {options['token']}"} if options["token"] else {}
        console = Console(file=sys.stderr)
        with (
            httpx.Client(base_url=source, headers=headers, timeout=options["timeout"]) as client,
            Progress(console=console, disable=not console.is_terminal) as bar,
        ):
            tasks: dict[str, Any] = {}

            def progress(entity: str, done: int, total: int) -> None:
                if entity not in tasks:
                    tasks[entity] = bar.add_task(entity, total=total)
                bar.update(tasks[entity], completed=done, total=total)

            try:
                report = backfill(client, progress)
            except BackfillError as exc:
                raise CommandError(f"backfill stopped: {exc} (run it again to resume)") from exc
        for entity, tally in report.tallies.items():
            self.stdout.write(f"{entity}: {tally}")
        self.stdout.write(f"backfill done: {report.changed} rows written")
