"""``manage.py release_expired_reservations``: give back the stock of reservations whose
30 minutes are up (run it from cron; ``reserve`` also releases a product's own on the way)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from legacy_monolith.inventory.services import release_expired


class Command(BaseCommand):
    help = "Release the reservations that have expired and give their stock back."

    def handle(self, *args, **options):
        released = release_expired()
        self.stdout.write(f"released {released} expired reservation(s)")
