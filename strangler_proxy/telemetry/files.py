"""The embedded default's span exporter: OTLP JSON lines in files, one file per process.

Each export appends one line, an OTLP ``ExportTraceServiceRequest`` in the OTLP/JSON
encoding (the OpenTelemetry Collector's file exporter format), to
``$STRANGLER_TRACES_DIR/<service>-<pid>.jsonl``. The pid is read at export time, so a worker
forked by gunicorn writes its own file and no two processes append to one. At 32 MiB the file
becomes ``<service>-<pid>.1.jsonl`` (the one before is dropped), so a long-running process
keeps at most 64 MiB of spans. Each process, as it starts, removes the oldest files of
processes that are gone while the directory holds more than 256 MiB (:func:`to_prune`).

>>> file_name("catalog", 4242), file_name("my service/x", 7, rotated=True)
('catalog-4242.jsonl', 'my_service_x-7.1.jsonl')
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from strangler_proxy.telemetry.errors import TelemetryError
from strangler_proxy.telemetry.otlp_json import request

DIR_VARIABLE = "STRANGLER_TRACES_DIR"
MAX_BYTES = 32 * 1024 * 1024
KEEP_BYTES = 256 * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WRITER = re.compile(r"-(\d+)(?:\.1)?\.jsonl\Z")  # the pid of the process that wrote it

log = logging.getLogger(__name__)


def file_name(service: str, pid: int, *, rotated: bool = False) -> str:
    """The file a process writes (``rotated``: the one kept before it); safe on any disk."""
    safe = _UNSAFE.sub("_", service).strip("._") or "unknown_service"
    return f"{safe}-{pid}{'.1' if rotated else ''}.jsonl"


class SpanFile(NamedTuple):
    name: str
    pid: int
    size: int
    mtime: float


def to_prune(files: Iterable[SpanFile], keep_bytes: int, alive: Callable[[int], bool]) -> list[str]:
    """The files to remove so that ``files`` hold at most ``keep_bytes``: the oldest first,
    never one of a process still running (it may write to it again).

    >>> files = [SpanFile("proxy-1.jsonl", 1, 100, 60.0), SpanFile("catalog-2.jsonl", 2, 300, 50.0),
    ...          SpanFile("monolith-3.jsonl", 3, 200, 40.0)]
    >>> to_prune(files, keep_bytes=350, alive=lambda pid: pid == 3)
    ['catalog-2.jsonl']
    >>> to_prune(files, keep_bytes=600, alive=lambda pid: False)
    []
    """
    files = sorted(files, key=lambda f: f.mtime)
    total = sum(f.size for f in files)
    pruned = []
    for file in files:
        if total <= keep_bytes:
            break
        if not alive(file.pid):
            pruned.append(file.name)
            total -= file.size
    return pruned


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's
        return True
    return True


def prune(directory: Path, keep_bytes: int = KEEP_BYTES) -> list[str]:
    """Remove the span files :func:`to_prune` names under ``directory``; their names."""
    files = []
    for entry in os.scandir(directory):
        writer = _WRITER.search(entry.name)
        if writer is None:
            continue
        try:
            stat = entry.stat()
        except FileNotFoundError:  # pruned meanwhile by a sibling starting with it
            continue
        files.append(SpanFile(entry.name, int(writer[1]), stat.st_size, stat.st_mtime))
    pruned = to_prune(files, keep_bytes, _alive)
    for name in pruned:
        (directory / name).unlink(missing_ok=True)  # another process may prune it too
    return pruned


def encode_line(spans: Sequence[ReadableSpan]) -> bytes:
    """One OTLP/JSON line (enums as integers, int64 as strings, ids as hex), newline ended."""
    return (json.dumps(request(spans), separators=(",", ":")) + "\n").encode()


def _service(spans: Sequence[ReadableSpan]) -> str:
    # every span of one provider shares its resource: the first names the process
    name = spans[0].resource.attributes.get("service.name") if spans else None
    return str(name) if name else "unknown_service"


class FileSpanExporter(SpanExporter):
    """Appends each batch as one OTLP/JSON line to this process's file under ``directory``.

    Made with no arguments (as OpenTelemetry's loader does) it reads ``STRANGLER_TRACES_DIR``;
    the directory is created when missing.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        max_bytes: int = MAX_BYTES,
        keep_bytes: int = KEEP_BYTES,
    ):
        if directory is None:
            directory = os.environ.get(DIR_VARIABLE) or None
        if directory is None:
            raise TelemetryError(
                f"the strangler_files trace exporter writes under {DIR_VARIABLE}, which is not "
                f"set: set it to a directory (strangler up uses var/traces)"
            )
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise TelemetryError(
                f"{DIR_VARIABLE}={directory}: cannot create it ({error})"
            ) from error
        try:
            pruned = prune(self.directory, keep_bytes)
        except OSError as error:  # spans still go on being written
            log.warning("cannot prune old span files in %s: %s", self.directory, error)
        else:
            if pruned:
                log.info("removed %d old span file(s) from %s", len(pruned), self.directory)
        self._lock = threading.Lock()
        self._closed = False
        # a lock held by another thread at fork time would stay held in the child forever
        reinit = weakref.WeakMethod(self._after_fork)
        os.register_at_fork(after_in_child=lambda: (method := reinit()) and method())

    def _after_fork(self) -> None:
        self._lock = threading.Lock()

    def path(self, service: str, pid: int | None = None, *, rotated: bool = False) -> Path:
        """The file this process writes for ``service`` (pid: the current one by default)."""
        pid = os.getpid() if pid is None else pid
        return self.directory / file_name(service, pid, rotated=rotated)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._closed:
            return SpanExportResult.FAILURE
        if not spans:
            return SpanExportResult.SUCCESS
        line = encode_line(spans)
        service = _service(spans)
        try:
            with self._lock:
                self._append(self.path(service), line)
        except OSError as error:
            log.warning("span file export failed (%d spans dropped): %s", len(spans), error)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _append(self, path: Path, line: bytes) -> None:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size and size + len(line) > self.max_bytes:
            os.replace(path, path.with_suffix(".1.jsonl"))
        # one write of the whole line on an O_APPEND descriptor: readers never see half of a
        # batch unless the disk fills, and the reader skips such a line
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def shutdown(self) -> None:
        self._closed = True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every export is written before it returns
