"""``GET /traces/{key}``: one trace as a waterfall, found by trace id or request id.

Read from the span files under ``--traces-dir`` (``telemetry.traces``) on each lookup: a
lookup is a person asking, not a hot path, and the files are the only copy of the spans.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strangler_proxy.telemetry import traces

REQUEST_ID = "strangler.request_id"  # the attribute the proxy puts on its request's span


class TraceLookup:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def find(self, key: str) -> dict[str, Any] | None:
        """The waterfall of the trace ``key`` names, with ``matches``: every trace id it
        names, the one shown first; None when none is found.

        A request id may name several traces (the proxy's request, and calls it made apart,
        like the credential exchange, that carry the same ``X-Request-ID``): the one whose
        span the proxy stamped with that request id is shown, else the latest."""
        if self.directory is None:
            return None
        key = key.strip()
        # only lines holding the key are parsed, then only those of the trace it names
        spans = list(traces.read_spans(self.directory, contains=(key, key.lower())))
        found = traces.trace_ids_for(spans, key)
        if not found:
            return None
        stamped = {s.trace_id for s in spans if s.attributes.get(REQUEST_ID) == key}
        found.sort(key=lambda trace_id: trace_id not in stamped)  # stable: latest first
        chart = traces.waterfall(traces.read_spans(self.directory, contains=found[0]), found[0])
        return {**chart.as_json(), "key": key, "matches": found}
