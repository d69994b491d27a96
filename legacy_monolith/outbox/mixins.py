"""Write views as units of work: the change and its events commit together or not at all.

The shop runs without ``ATOMIC_REQUESTS``, so each write view opens ``changes()`` around
its ``perform_*`` step: an error raised inside rolls the change back with its events, and
the events are built from the final state of every entity the step touched.
"""

from __future__ import annotations

from legacy_monolith.outbox.recorder import changes


class RecordedWrites:
    """Mix into a DRF generic view before the DRF base classes."""

    def perform_create(self, serializer):
        with changes(self.request):
            super().perform_create(serializer)

    def perform_update(self, serializer):
        with changes(self.request):
            super().perform_update(serializer)

    def perform_destroy(self, instance):
        with changes(self.request):
            super().perform_destroy(instance)
