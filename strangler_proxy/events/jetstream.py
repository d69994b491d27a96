"""NATS JetStream, the broker that keeps events on disk (DESIGN §3), through nats-py.

One stream, ``EVENTS``, holds every event under ``events.<aggregatetype>``, in file storage,
with a two-minute duplicate window: a message published twice with the same
``Nats-Msg-Id`` (the event id) is stored once, which is what makes the relay's "publish,
then mark the row" safe when it dies in between.

>>> subject_for("product")
'events.product'
>>> subject_for("order.line")
Traceback (most recent call last):
...
ValueError: aggregatetype 'order.line' cannot name a subject: use letters, digits, '_' or '-'
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import PubAck, StorageType, StreamConfig, StreamInfo
from nats.js.errors import NotFoundError

#: the one stream of every event
STREAM = "EVENTS"
#: the subjects it captures
SUBJECTS = "events.>"
#: seconds a ``Nats-Msg-Id`` is remembered (a re-publish within it is dropped)
DUPLICATE_WINDOW = 120.0
#: the header JetStream dedupes on
MSG_ID = "Nats-Msg-Id"

_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


class BrokerUnavailable(RuntimeError):
    """The broker at a URL cannot be reached (or stopped answering)."""


def subject_for(aggregatetype: str) -> str:
    """The subject of an entity type's events: ``events.<aggregatetype>``."""
    if not _TOKEN.fullmatch(aggregatetype):
        raise ValueError(
            f"aggregatetype {aggregatetype!r} cannot name a subject: "
            "use letters, digits, '_' or '-'"
        )
    return f"events.{aggregatetype}"


def stream_config() -> StreamConfig:
    """The stream's configuration (DESIGN §3)."""
    return StreamConfig(
        name=STREAM,
        subjects=[SUBJECTS],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW,
    )


async def connect(url: str, *, timeout: float = 3.0, name: str = "strangler-relay") -> NATS:
    """A connection to the NATS server at ``url`` that reconnects on its own once made.

    ``BrokerUnavailable`` naming the URL when none is made within ``timeout`` seconds.
    """

    async def quiet(exc: Exception) -> None:  # nats-py logs each failed attempt otherwise
        pass

    try:
        return await asyncio.wait_for(
            nats.connect(
                servers=[url],
                name=name,
                connect_timeout=max(1, int(timeout)),
                reconnect_time_wait=0.2,  # seconds (a float is fine)
                max_reconnect_attempts=-1,
                error_cb=quiet,
            ),
            timeout,
        )
    except (TimeoutError, OSError, nats.errors.Error) as exc:
        raise BrokerUnavailable(
            f"cannot reach the NATS broker at {url} within {timeout:g} s "
            f"({type(exc).__name__}: {exc or 'no answer'})"
        ) from exc


async def ensure_stream(js: JetStreamContext) -> StreamInfo:
    """Create the ``EVENTS`` stream, or bring an existing one to the expected settings."""
    wanted = stream_config()
    try:
        info = await js.stream_info(STREAM)
    except NotFoundError:
        return await js.add_stream(wanted)
    have = info.config
    if (have.subjects, have.storage, have.duplicate_window) != (
        wanted.subjects,
        wanted.storage,
        wanted.duplicate_window,
    ):
        return await js.update_stream(wanted)
    return info


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to publish: subject, ``Nats-Msg-Id`` and body."""

    subject: str
    msg_id: str
    body: bytes


async def publish_batch(
    js: JetStreamContext, messages: Sequence[Outgoing], *, timeout: float = 5.0
) -> list[PubAck | BaseException]:
    """Publish ``messages`` in order, all in flight at once, and await every ack.

    The messages leave on one connection in list order (the server stores them so); the
    answer holds, per message, its ``PubAck`` or the error it met (no ack within
    ``timeout``: ``TimeoutError``). A caller marks as published only the acked prefix.
    """
    if not messages:
        return []
    futures: list[asyncio.Future[PubAck]] = []
    for message in messages:
        futures.append(
            await js.publish_async(
                message.subject,
                message.body,
                stream=STREAM,
                headers={MSG_ID: message.msg_id},
            )
        )
    _, pending = await asyncio.wait(futures, timeout=timeout)
    for future in pending:
        future.cancel()
    results: list[PubAck | BaseException] = []
    for future in futures:
        if future in pending:
            results.append(TimeoutError(f"no ack from the broker within {timeout:g} s"))
            continue
        exc = future.exception()
        results.append(exc if exc is not None else future.result())
    return results


def acked_prefix(results: Sequence[PubAck | BaseException]) -> int:
    """How many messages from the start were acknowledged, in a row.

    >>> ok = PubAck(stream="EVENTS", seq=1)
    >>> acked_prefix([ok, ok, TimeoutError(), ok])
    2
    >>> acked_prefix([])
    0
    """
    count = 0
    for result in results:
        if isinstance(result, BaseException):
            break
        count += 1
    return count
