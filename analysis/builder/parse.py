"""Facts for many files: from the cache when the content is unchanged, else parsed in
parallel worker processes (and cached for next time)."""

from __future__ import annotations

import gc
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from analysis.builder.discover import SourceFile
from analysis.cache import FactCache, Facts, cache_key, dump
from analysis.collect import collect_module
from analysis.facts import BrokenFile

Progress = Callable[[str, int, int], None]
# Less source than this to parse (about a tenth of a second) is parsed in this process:
# starting worker processes would cost more than it saves.
PARALLEL_MIN_BYTES = 500_000


@dataclass(frozen=True, slots=True)
class Job:
    path: Path
    rel: str
    module: str
    is_package: bool
    key: str
    size: int


@dataclass(frozen=True, slots=True)
class ReadResult:
    facts: list[Facts]
    cached: int
    parsed: int


@contextmanager
def paused_gc() -> Iterator[None]:
    """Syntax trees, facts and the graph hold no reference cycles, so the cyclic garbage
    collector would only keep walking millions of young objects for nothing: pausing it
    saves about a third of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def fingerprint(files: list[SourceFile]) -> list[Job | BrokenFile]:
    """Each file's content key (or why it cannot be read): cheap, no parsing."""
    found: list[Job | BrokenFile] = []
    for source in files:
        try:
            data = source.path.read_bytes()
        except OSError as error:
            found.append(BrokenFile(source.rel, f"cannot read the file: {error.strerror}"))
            continue
        key = cache_key(data, source.module, source.rel, source.is_package)
        found.append(Job(source.path, source.rel, source.module, source.is_package, key, len(data)))
    return found


def read_all(
    files: list[Job | BrokenFile], cache: FactCache, jobs: int, progress: Progress | None
) -> ReadResult:
    """Facts for every file: cached ones loaded, the others parsed (in parallel)."""
    total = len(files)
    results: list[Facts | None] = [None] * total
    todo: list[tuple[int, Job]] = []
    for i, job in enumerate(files):
        hit = job if isinstance(job, BrokenFile) else cache.get(job.key)
        if hit is not None:
            results[i] = hit
        else:
            assert isinstance(job, Job)
            todo.append((i, job))
    cached = total - len(todo)
    if progress:
        progress("parse", cached, total)
    done = cached
    for i, facts in _parse(todo, cache, jobs):
        results[i] = facts
        done += 1
        if progress and (done % 64 == 0 or done == total):
            progress("parse", done, total)
    return ReadResult([r for r in results if r is not None], cached, len(todo))


def _parse(todo: list[tuple[int, Job]], cache: FactCache, jobs: int) -> list[tuple[int, Facts]]:
    if jobs <= 1 or sum(job.size for _, job in todo) < PARALLEL_MIN_BYTES:
        return [(i, collect_job(job, cache)) for i, job in todo]
    # Biggest files first, dealt round-robin, so the workers finish together.
    ordered = sorted(todo, key=lambda item: -item[1].size)
    chunks = [ordered[n :: jobs * 4] for n in range(jobs * 4)]
    out: list[tuple[int, Facts]] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_collect_chunk, chunk) for chunk in chunks if chunk]
        for future in as_completed(futures):
            for i, job, data in future.result():
                cache.put(job.key, data)
                out.append((i, pickle.loads(data)))
    return out


def _collect_chunk(chunk: list[tuple[int, Job]]) -> list[tuple[int, Job, bytes]]:
    """In a worker: facts pickled once, for the cache and for the trip back."""
    with paused_gc():
        return [(i, job, dump(_collect(job))) for i, job in chunk]


def collect_job(job: Job, cache: FactCache) -> Facts:
    facts = _collect(job)
    cache.put(job.key, dump(facts))
    return facts


def _collect(job: Job) -> Facts:
    try:
        data = job.path.read_bytes()
    except OSError as error:
        return BrokenFile(job.rel, f"cannot read the file: {error.strerror}")
    return collect_module(data, job.module, job.rel, job.is_package)
