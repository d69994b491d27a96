"""``manage.py jwt_keys list|rotate``: the ID provider's signing keys."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from legacy_monolith.identity import config
from legacy_monolith.identity.keys import KEEP, KeyRing


class Command(BaseCommand):
    help = (
        "list: the published signing keys (current first). rotate: a new current key; the "
        f"previous one stays published so its tokens still verify (at most {KEEP} keys)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "rotate"])

    def handle(self, *args, action: str, **options):
        ring = KeyRing(config.keys_dir())
        if action == "rotate":
            key = ring.rotate()
            self.stdout.write(f"New signing key {key.kid} in {ring.directory}")
        else:
            ring.current()
        for position, key in enumerate(ring.published()):
            role = "current" if position == 0 else "previous"
            created = key.created_at.isoformat(timespec="seconds")
            self.stdout.write(f"{key.kid}  {role:<8}  created {created}")
