"""The one error the telemetry package raises: a configuration it cannot follow."""

from __future__ import annotations


class TelemetryError(ValueError):
    """Tracing is configured in a way this process cannot follow (the message says how)."""
