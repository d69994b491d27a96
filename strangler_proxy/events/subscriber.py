"""A subscriber: its name (the inbox's consumer name), its inbox URL and its topics (pure).

``--subscriber NAME=URL[:TOPIC,TOPIC...]``, topics being aggregate types; none means all:

>>> catalog = parse_subscriber("catalog=http://127.0.0.1:8101/internal/events/:product,review")
>>> catalog.name, catalog.url, catalog.topics
('catalog', 'http://127.0.0.1:8101/internal/events/', ('product', 'review'))
>>> parse_subscriber("notifications=http://127.0.0.1:8102/internal/events/").subjects
('events.>',)
>>> parse_subscriber("x:y")
Traceback (most recent call last):
...
strangler_proxy.events.subscriber.BadSubscriber: 'x:y': expected NAME=URL[:TOPIC,...], ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

EXAMPLE = "catalog=http://127.0.0.1:8101/internal/events/:product,category"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,64}")


class BadSubscriber(ValueError):
    """A ``--subscriber`` value that cannot be read; the message shows the expected form."""


@dataclass(frozen=True, slots=True)
class Subscriber:
    name: str  # the consumer name in the inbox, and the durable JetStream consumer's
    url: str  # the inbox endpoint, .../internal/events/
    topics: tuple[str, ...] = ()  # aggregate types; () = every one

    @property
    def subjects(self) -> tuple[str, ...]:
        """The JetStream filter subjects of its topics."""
        return tuple(f"events.{t}" for t in self.topics) or ("events.>",)

    def wants(self, aggregatetype: str) -> bool:
        return not self.topics or aggregatetype in self.topics


def parse_subscriber(spec: str) -> Subscriber:
    name, equals, rest = spec.partition("=")
    if not equals or not _NAME.fullmatch(name.strip()):
        raise BadSubscriber(f"{spec!r}: expected NAME=URL[:TOPIC,...], e.g. {EXAMPLE}")
    url, topics = rest.strip(), ""
    head, colon, tail = url.rpartition(":")
    if colon and "/" not in tail and not tail.isdigit():
        url, topics = head, tail
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadSubscriber(f"{spec!r}: {url!r} is not an http(s) URL, e.g. {EXAMPLE}")
    names = tuple(t.strip() for t in topics.split(",") if t.strip())
    for topic in names:
        if not _TOPIC.fullmatch(topic):
            raise BadSubscriber(f"{spec!r}: bad topic {topic!r} (an aggregate type)")
    return Subscriber(name.strip(), url, names)
