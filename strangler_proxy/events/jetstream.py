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
import contextlib
import re
from collections.abc import Mapping, Sequence
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


async def connect(
    url: str, *, timeout: float = 3.0, name: str = "strangler-relay", reconnect: bool = True
) -> NATS:
    """A connection to the NATS server at ``url`` that reconnects on its own once made
    (unless ``reconnect`` is false: then it closes when the server goes).

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
                allow_reconnect=reconnect,
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


class Broker:
    """The relay's connection, made again after every failure rather than reconnected by
    nats-py: a reconnecting client sends what it buffered while away, and if messages
    written just before the loss were lost, those buffered ones would be stored ahead of the
    lost ones' re-publication: out of order. A fresh connection sends nothing of the old
    one, and the relay re-publishes from its first unmarked row, in order."""

    def __init__(self, url: str, *, timeout: float = 3.0) -> None:
        self.url = url
        self.timeout = timeout
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self._lock = asyncio.Lock()

    async def context(self) -> JetStreamContext:
        """A JetStream context on a live connection (a new one when the last was lost);
        ``BrokerUnavailable`` when the broker cannot be reached."""
        async with self._lock:
            nc = self._nc
            if nc is None or not nc.is_connected or self._js is None:
                await self.close()
                nc = await connect(self.url, timeout=self.timeout, reconnect=False)
                self._nc, self._js = nc, nc.jetstream()
                await ensure_stream(self._js)
            return self._js

    async def renew(self, stale: JetStreamContext) -> None:
        """Drop the connection behind ``stale`` (a failure was seen on it)."""
        async with self._lock:
            if self._js is stale:
                await self.close()

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(TimeoutError, nats.errors.Error, OSError):
                await asyncio.wait_for(nc.close(), self.timeout)  # it is gone either way


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to publish: subject, ``Nats-Msg-Id``, body, and other headers (the
    trace context, when tracing is on)."""

    subject: str
    msg_id: str
    body: bytes
    headers: Mapping[str, str] | None = None


async def publish_batch(
    js: JetStreamContext, messages: Sequence[Outgoing], *, timeout: float = 5.0
) -> list[PubAck | BaseException]:
    """Publish ``messages`` in order, all in flight at once, and await every ack.

    The messages leave on one connection in list order (the server stores them so); the
    answer holds, per message, its ``PubAck`` or the error it met (no ack within
    ``timeout``: ``TimeoutError``). A caller marks as published only the acked prefix.
    """
    return await acks(await send(js, messages), timeout=timeout)


Sent = list["asyncio.Future[PubAck] | BaseException"]


async def send(js: JetStreamContext, messages: Sequence[Outgoing]) -> Sent:
    """Hand ``messages`` to the connection, in order; per message the future of its ack
    (or the error that kept it from being sent). Call it from one task at a time: two
    batches sent at once could interleave."""
    sent: Sent = []
    for message in messages:
        try:
            sent.append(
                await js.publish_async(
                    message.subject, message.body, stream=STREAM, headers=_headers(message)
                )
            )
        except Exception as exc:  # not sent (connection closed, buffer full): nor the rest
            sent.extend([exc] * (len(messages) - len(sent)))
            break
    return sent


def _headers(message: Outgoing) -> dict[str, str]:
    if message.headers is None:
        return {MSG_ID: message.msg_id}
    return {**message.headers, MSG_ID: message.msg_id}


async def acks(sent: Sent, *, timeout: float) -> list[PubAck | BaseException]:
    """The acks of ``sent`` within ``timeout`` seconds (each missing one a TimeoutError)."""
    futures = [f for f in sent if isinstance(f, asyncio.Future)]
    pending: set[asyncio.Future[PubAck]] = set()
    if futures:
        _, pending = await asyncio.wait(futures, timeout=timeout)
    results: list[PubAck | BaseException] = []
    for future in sent:
        if not isinstance(future, asyncio.Future):
            results.append(future)
        elif future in pending:
            future.cancel()
            results.append(TimeoutError(f"no ack from the broker within {timeout:g} s"))
        elif (exc := future.exception()) is not None:
            results.append(exc)
        else:
            results.append(future.result())
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
