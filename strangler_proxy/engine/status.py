"""What the admin API reports about the proxy's workers, whichever way they run.

With one worker the engine lives in the admin's own process and is read live; with several,
each spawned worker writes a snapshot file into ``state_dir`` and they are merged. The admin
app gets the two bound methods, never the engine::

    status = WorkerStatus(state_dir=None)          # one worker: ``status.local = engine``
    create_admin_app(..., metrics_text=status.metrics_text,
                     health_snapshot=status.health_snapshot)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strangler_proxy.engine.runtime import EngineRuntime, read_states
from strangler_proxy.metrics import Snapshot, merge, render

_HEALTH_KEYS = ("pid", "version", "inflight", "shadow_queue", "health")


class WorkerStatus:
    """The live engine of this process (``local``), or the snapshots under ``state_dir``."""

    def __init__(self, state_dir: Path | None = None) -> None:
        self.state_dir = state_dir
        self.local: EngineRuntime | None = None

    def states(self) -> list[dict[str, Any]]:
        if self.local is not None:
            return [self.local.snapshot()]
        return read_states(self.state_dir) if self.state_dir is not None else []

    def metrics_text(self) -> str:
        """Prometheus text for every worker of this proxy."""
        return render(state["metrics"] for state in self.states())

    def metrics_snapshot(self) -> Snapshot:
        """Every worker's counters summed (``metrics.merge``; the shape: ``metrics``)."""
        return merge(state["metrics"] for state in self.states())

    def health_snapshot(self) -> dict[str, Any]:
        """Instance health as each worker sees it, plus what it is doing."""
        return {"workers": [{k: state[k] for k in _HEALTH_KEYS} for state in self.states()]}
