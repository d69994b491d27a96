"""The benchmark's tracing section: what the proxy's span costs a request, as ratios to the
same engine with tracing off, in the same run and round by round (that row is the section's
``direct``: its "vs direct" and "+p50" are tracing's share of throughput and its added
latency, the whole request as a client meets it).

One engine (1 worker) per row in front of the fast upstream, the bench route; wrk sends no
``traceparent``, so the proxy starts every trace and its sampler decides:

- tracing off (``OTEL_TRACES_EXPORTER=none``): the baseline;
- on, sample 1.0: every request a span, written by the span-file exporter (``strangler_files``,
  what ``strangler up`` runs) in the worker's batch thread;
- on, sample 0.1 (``parentbased_traceidratio``): one request in ten recorded; the others
  still get ids and send ``traceparent`` (flags 00) upstream.

The batch processor is set as ``strangler up`` sets it (``OTEL_BSP_SCHEDULE_DELAY=500``, the
SDK's queue of 2048): spans it could not queue are dropped by the SDK, and each row's note
says how many spans reached the files against the requests it served.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

from rich.progress import Progress

from bench.proxy import servers
from bench.proxy.report import Row
from bench.proxy.runner import Contender, Settings, measure_rounds, running

TITLE = "tracing (engine 1w -> fast upstream)"
#: row name, sampler argument (None: tracing off)
ROWS = (
    ("engine, tracing off (baseline)", None),
    ("engine, tracing on, sample 1.0", "1.0"),
    ("engine, tracing on, sample 0.1", "0.1"),
)


def tracing_env(traces: Path, sample: str | None) -> dict[str, str]:
    """The engine's environment for one row (explicit either way: the caller's may trace).

    >>> tracing_env(Path("/t"), None)
    {'OTEL_TRACES_EXPORTER': 'none'}
    >>> tracing_env(Path("/t"), "0.1")["OTEL_TRACES_SAMPLER"]
    'parentbased_traceidratio'
    """
    if sample is None:
        return {"OTEL_TRACES_EXPORTER": "none"}
    return {
        "OTEL_TRACES_EXPORTER": "strangler_files",
        "STRANGLER_TRACES_DIR": str(traces),
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": sample,
        "OTEL_BSP_SCHEDULE_DELAY": "500",
    }


def spans_written(traces: Path) -> int:
    """Spans in the span files under ``traces`` (one ``"spanId":`` per span)."""
    if not traces.exists():
        return 0
    return sum(p.read_bytes().count(b'"spanId":') for p in traces.glob("*.jsonl"))


def section(settings: Settings, work: Path, bar: Progress) -> list[Row]:
    """The tracing rows, measured interleaved like every other section."""
    task = bar.add_task(f"{TITLE}: starting", total=None)
    path = servers.FAST_PATH
    work = work / "tracing"
    work.mkdir(parents=True, exist_ok=True)
    store = servers.bench_store(work)
    with running(servers.start_fast_upstream(work)) as upstream, contextlib.ExitStack() as stack:
        contenders: list[Contender] = []
        dirs: list[Path] = []
        for i, (name, sample) in enumerate(ROWS):
            traces = work / f"traces-{i}"
            env = tracing_env(traces, sample)
            engine = servers.start_engine(work, upstream.url, store, 1, path, env=env)
            stack.callback(engine.process.stop)
            contenders.append(Contender(name, "direct" if sample is None else "", engine))
            dirs.append(traces)
        bar.update(task, description=f"{TITLE}: measuring", total=2 * settings.rounds * 3)
        measure_rounds(contenders, path, settings, lambda: bar.advance(task))
        rows = [c.row(TITLE, settings.rate) for c in contenders]
        stack.close()  # the engines stop: their last batches are flushed
    bar.remove_task(task)
    for i, (contender, traces, (_, sample)) in enumerate(zip(contenders, dirs, ROWS, strict=True)):
        if sample is not None:
            served = sum(t.requests for t in contender.throughputs) + len(contender.samples)
            note = f"{spans_written(traces)} spans written for {served} requests"
            rows[i] = replace(rows[i], note="; ".join(filter(None, (rows[i].note, note))))
    return rows
