"""The events' way in ``strangler up`` (pure): the relay, and with a broker the deliverer.

The relay reads the producers' outbox tables (the monolith's, the catalog's) over SQL.
Embedded (``--broker embedded``, the default: no server) it pushes each event straight to
the subscribers' inboxes; with ``--broker nats://HOST:PORT`` (a NATS JetStream the user
runs) it publishes there, and ``strangler events deliver`` pushes from the broker to the
inboxes. Subscribers, by the aggregate types they take:

- ``catalog``: categories, products, reviews (while the monolith owns them) and orders
  (its "verified purchase" projection);
- ``notifications``: orders;
- ``monolith``: categories, products, reviews (once the catalog's write routes flip; it
  ignores the events it produced itself).

>>> from strangler_proxy.stack.options import StackOptions
>>> options = StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="/v")
>>> both = ("catalog", "notifications")
>>> [relay] = events_services(options, strangler=("strangler",), extracted=both)
>>> relay.name, relay.scrape.url
('relay', 'http://127.0.0.1:8091/metrics')
>>> event_sources(options, both)
('monolith=sqlite:////v/monolith.sqlite3', 'catalog=sqlite:////v/catalog/catalog.sqlite3')
>>> for inbox in subscribers(options, both):
...     print(inbox)
catalog=http://127.0.0.1:8101/internal/events/:category,product,review,order
notifications=http://127.0.0.1:8102/internal/events/:order
monolith=http://127.0.0.1:8000/internal/events/:category,product,review
>>> from dataclasses import replace
>>> nats = replace(options, broker="nats://127.0.0.1:4222")
>>> [s.name for s in events_services(nats, strangler=("strangler",), extracted=both)]
['relay', 'deliverer']
>>> events_services(options, strangler=("strangler",), extracted=())  # nobody to tell
()
"""

from __future__ import annotations

import re
from collections.abc import Collection
from types import MappingProxyType

from strangler_proxy.events.sources import EMBEDDED
from strangler_proxy.stack.options import StackOptions
from strangler_proxy.stack.parts import LOOPBACK, Scrape, ServiceSpec

INBOX = "/internal/events/"
#: subscriber -> the aggregate types it takes
TOPICS = {
    "catalog": "category,product,review,order",
    "notifications": "order",
    "monolith": "category,product,review",
}
#: What each prints once it runs (``strangler events relay``, ``... deliver``).
RELAY_READY = re.compile(r"^relay ready: ", re.M)
DELIVERER_READY = re.compile(r"^deliverer ready: ", re.M)
#: Their "ready" line reaches the log at once (stdout to a file is block-buffered).
UNBUFFERED = MappingProxyType({"PYTHONUNBUFFERED": "1"})


def subscribers(options: StackOptions, extracted: Collection[str]) -> tuple[str, ...]:
    """``NAME=URL:TOPICS`` of each inbox (the monolith's only when the catalog runs: it
    takes the catalog's events)."""
    urls = {
        "catalog": options.catalog_url,
        "notifications": options.notifications_url,
        "monolith": options.monolith_url,
    }
    names = [name for name in ("catalog", "notifications") if name in extracted]
    if "catalog" in extracted:
        names.append("monolith")
    return tuple(f"{name}={urls[name]}{INBOX}:{TOPICS[name]}" for name in names)


def event_sources(options: StackOptions, extracted: Collection[str]) -> tuple[str, ...]:
    """``NAME=DATABASE_URL`` of each producer's outbox (the catalog's when it runs)."""
    sources = [f"monolith={options.monolith_db}"]
    if "catalog" in extracted:
        sources.append(f"catalog=sqlite:///{options.var_dir / 'catalog' / 'catalog.sqlite3'}")
    return tuple(sources)


def _metrics(port: int, option: str) -> tuple[tuple[str, ...], Scrape]:
    """``--metrics-listen`` on loopback, and the scrape that reads it."""
    return ("--metrics-listen", f"{LOOPBACK}:{port}"), Scrape(port, option=option)


def events_services(
    options: StackOptions, *, strangler: tuple[str, ...], extracted: Collection[str]
) -> tuple[ServiceSpec, ...]:
    """The relay (always, when there is a subscriber) and the deliverer (with a broker)."""
    inboxes = subscribers(options, extracted)
    if not inboxes:
        return ()
    sources = event_sources(options, extracted)
    common = (
        *("--token-file", str(options.events_token_file)),
        *("--dead-letters", options.dead_letters_url),
    )
    pushes = tuple(x for inbox in inboxes for x in ("--subscriber", inbox))
    embedded = options.broker == EMBEDDED
    listen, scrape = _metrics(options.relay_metrics_port, "--relay-metrics-port")
    relay = ServiceSpec(
        name="relay",
        argv=(
            *(*strangler, "events", "relay"),
            *(x for source in sources for x in ("--source", source)),
            *("--broker", options.broker),
            *(pushes if embedded else ()),
            *common,
            *listen,
        ),
        port=0,
        log_name="relay.log",
        scrape=scrape,
        worker=True,
        announces=RELAY_READY,
        env=UNBUFFERED,
        restart=True,  # the outbox keeps what it has not published
        notes=(
            "outbox -> inboxes (embedded: the outbox tables are the queue)"
            if embedded
            else f"outbox -> NATS JetStream at {options.broker}",
            " ".join(
                (
                    "strangler events status",
                    *(() if embedded else ("--broker", options.broker)),
                    *(x for source in sources for x in ("--source", source)),
                )
            ),
            f"strangler events dead-letters --dead-letters {options.dead_letters_url}",
            f"metrics: {scrape.url}",
        ),
    )
    if embedded:
        return (relay,)
    listen, scrape = _metrics(options.deliverer_metrics_port, "--deliverer-metrics-port")
    deliverer = ServiceSpec(
        name="deliverer",
        argv=(
            *(*strangler, "events", "deliver"),
            *("--broker", options.broker, *pushes, *common, *listen),
        ),
        port=0,
        log_name="deliverer.log",
        scrape=scrape,
        worker=True,
        announces=DELIVERER_READY,
        env=UNBUFFERED,
        restart=True,  # the broker keeps what it has not delivered
        notes=(f"NATS JetStream at {options.broker} -> inboxes", f"metrics: {scrape.url}"),
    )
    return relay, deliverer
