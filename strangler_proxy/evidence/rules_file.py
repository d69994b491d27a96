"""The rules file (``strangler-rules.toml``) as a live rule book: re-read when it changes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from strangler_proxy.compare.book import BookError, RuleBook, parse_book

log = logging.getLogger("strangler.proxy")
#: the rules file is looked at no more often than this (seconds)
RULES_CHECK = 1.0


class RulesFile:
    """The rule book of a file, re-read when the file changes; a broken edit keeps the last
    good book (and says so in the log once)."""

    def __init__(self, path: Path | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._clock = clock
        self._book = RuleBook()
        self._seen: float | None = None
        self._checked = float("-inf")

    def book(self) -> RuleBook:
        now = self._clock()
        if self.path is None or now - self._checked < RULES_CHECK:
            return self._book
        self._checked = now
        try:
            stamp = self.path.stat().st_mtime
        except OSError:
            stamp = None
        if stamp != self._seen:
            self._seen = stamp
            self._book = self._read() if stamp is not None else RuleBook()
        return self._book

    def _read(self) -> RuleBook:
        assert self.path is not None
        try:
            return parse_book(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, BookError) as exc:
            log.warning("rules file %s unusable, keeping the previous rules: %s", self.path, exc)
            return self._book
