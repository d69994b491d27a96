"""Start a child that cannot bind port 0 on a free port, and survive the race that comes
with it.

Children that can are started on port 0 and read where they listen from their output
(``ManagedProcess(announces=...)``): the proxy, the stand-ins, gunicorn, mitmdump, the admin
API. What is left here is for nginx (the conformance reference), which cannot report a port
the kernel picked. ``free_port()`` binds port 0, reads the port and lets it go; the child
binds it a moment later. In between, any other process may take it (every outgoing test
connection takes an ephemeral port from the same range), and the child dies with "address
already in use".
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from strangler_proxy.stack.process import ManagedProcess, ProcessFailed, free_port

P = TypeVar("P", bound=ManagedProcess)

#: what a child says when another process took its port after ``free_port()`` picked it
PORT_TAKEN = ("address already in use", "connection in use")


def start_on_a_free_port(make: Callable[[int], P], attempts: int = 3) -> P:
    """``make(port).start()`` on a free port; when another process took that port between
    ``free_port()`` and the child's bind (thousands of test connections use ephemeral ports
    too), once more on another one."""
    for attempt in range(1, attempts + 1):
        proc = make(free_port())
        try:
            proc.start()
        except ProcessFailed as exc:
            if attempt < attempts and any(s in str(exc).lower() for s in PORT_TAKEN):
                continue
            raise
        return proc
    raise AssertionError("unreachable")


@contextlib.contextmanager
def started_on_a_free_port(make: Callable[[int], P], attempts: int = 3) -> Iterator[P]:
    """``start_on_a_free_port`` for a ``with`` block: stopped when it ends."""
    proc = start_on_a_free_port(make, attempts)
    try:
        yield proc
    finally:
        proc.stop()
