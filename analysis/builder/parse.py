"""Facts for many files: from the cache when the content is unchanged, else parsed in
parallel worker processes (and cached for next time)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

from analysis.builder.scan import Job, paused_gc
from analysis.cache import FactCache, encoded
from analysis.codec import Facts, encode
from analysis.collect import collect_module
from analysis.facts import BrokenFile

Progress = Callable[[str, int, int], None]
# Less source than this to parse (about a tenth of a second) is parsed in this process:
# starting worker processes would cost more than it saves.
PARALLEL_MIN_BYTES = 500_000


@dataclass(frozen=True, slots=True)
class ReadResult:
    facts: list[Facts]
    cached: int
    parsed: int


def read_all(
    files: list[Job | BrokenFile],
    cache: FactCache,
    jobs: int,
    progress: Progress | None,
    meanwhile: Callable[[], object] | None = None,
) -> ReadResult:
    """Facts for every file: cached ones loaded, the others parsed (in parallel);
    ``meanwhile`` is called once, while the worker processes parse."""
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
    for i, facts in _parse(todo, cache, jobs, meanwhile or _nothing):
        results[i] = facts
        done += 1
        if progress and (done % 64 == 0 or done == total):
            progress("parse", done, total)
    return ReadResult([r for r in results if r is not None], cached, len(todo))


def _nothing() -> None:
    return None


def _parse(
    todo: list[tuple[int, Job]], cache: FactCache, jobs: int, meanwhile: Callable[[], object]
) -> list[tuple[int, Facts]]:
    if jobs <= 1 or sum(job.size for _, job in todo) < PARALLEL_MIN_BYTES:
        meanwhile()
        return [(i, collect_job(job, cache)) for i, job in todo]
    # Biggest files first, dealt round-robin, so the workers finish together.
    ordered = sorted(todo, key=lambda item: -item[1].size)
    chunks = [ordered[n :: jobs * 4] for n in range(jobs * 4)]
    out: list[tuple[int, Facts]] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_collect_chunk, chunk) for chunk in chunks if chunk]
        meanwhile()
        for future in as_completed(futures):
            for i, job, facts, text in future.result():
                cache.put(job.key, text)
                out.append((i, facts))
    return out


def _collect_chunk(chunk: list[tuple[int, Job]]) -> list[tuple[int, Job, Facts, str]]:
    """In a worker: the facts, and their cache entry (JSON text) made here, in parallel."""
    out = []
    with paused_gc():
        for i, job in chunk:
            facts = _collect(job)
            out.append((i, job, facts, encoded(encode(facts))))
    return out


def collect_job(job: Job, cache: FactCache) -> Facts:
    facts = _collect(job)
    cache.put(job.key, encoded(encode(facts)))
    return facts


def _collect(job: Job) -> Facts:
    try:
        data = job.path.read_bytes()
    except OSError as error:
        return BrokenFile(job.rel, f"cannot read the file: {error.strerror}")
    return collect_module(data, job.module, job.rel, job.is_package)
