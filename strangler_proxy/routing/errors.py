"""The one error a bad route or flag value raises, naming the field at fault."""

from __future__ import annotations


class InvalidFlag(ValueError):
    """A route or flag value that cannot be applied; ``field`` names the culprit.

    >>> InvalidFlag("percent", "must be between 0 and 100, got 140").field
    'percent'
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
