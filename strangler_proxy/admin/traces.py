"""``GET /traces/{key}``: one trace as a waterfall, found by trace id or request id.

Read from the span files under ``--traces-dir`` (``telemetry.traces``) on each lookup: a
lookup is a person asking, not a hot path, and the files are the only copy of the spans.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strangler_proxy.telemetry import traces


class TraceLookup:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def find(self, key: str) -> dict[str, Any] | None:
        """The waterfall of the latest trace ``key`` names, with ``matches``: every trace id
        it names, the latest first; None when none is found."""
        if self.directory is None:
            return None
        key = key.strip()
        # only lines holding the key are parsed, then only those of the trace it names
        found = traces.trace_ids_for(
            traces.read_spans(self.directory, contains=(key, key.lower())), key
        )
        if not found:
            return None
        chart = traces.waterfall(traces.read_spans(self.directory, contains=found[0]), found[0])
        return {**chart.as_json(), "key": key, "matches": found}
