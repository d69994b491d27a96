"""The mitmproxy engine's options (``--set strangler_...``): declared when the addon loads,
checked when they change, and what they open: the flag store with its router, and the
shadow evidence (the rules file and the evidence store).

An option that cannot work stops mitmdump at startup (``OptionsError``); set later (mitmproxy's
``options`` command), mitmproxy rolls it back and what was open stays.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mitmproxy import exceptions

from strangler_proxy.evidence.pairs import PairEvidence, Recorder
from strangler_proxy.evidence.rules_file import RulesFile
from strangler_proxy.evidence.store import (
    EvidenceError,
    NoEvidence,
    Retention,
    default_evidence_url,
    open_evidence,
)
from strangler_proxy.identity import DEFAULT_EXCHANGE
from strangler_proxy.mitm import identity
from strangler_proxy.mitm.router import Router
from strangler_proxy.mitm.shadow import ShadowPairs
from strangler_proxy.store import FlagStore, open_store

logger = logging.getLogger(__name__)

DEFAULT_STORE = "sqlite:///var/flags.sqlite3"
MS_OPTIONS = ("strangler_poll_ms", "strangler_service_timeout_ms")
POSITIVE = (*MS_OPTIONS, "strangler_shadow_capture_bytes", "strangler_evidence_keep",
            "strangler_evidence_days")  # fmt: skip
#: the options the flag store and its router are opened from
STORE_OPTIONS = {"strangler_store", "strangler_poll_ms"}
#: the options the shadow evidence is opened from
EVIDENCE_OPTIONS = {"strangler_store", "strangler_rules", "strangler_evidence", *POSITIVE[2:]}


def declare(loader: Any) -> None:
    """Every option of the addon (its ``load`` hook)."""
    loader.add_option("strangler_store", str, DEFAULT_STORE, "Flag store URL (sqlite:///path).")
    loader.add_option(
        "strangler_poll_ms", int, 500, "Milliseconds between checks of the store's version."
    )
    loader.add_option(
        "strangler_service_timeout_ms",
        int,
        30_000,
        "Milliseconds a service has to answer before the monolith answers instead "
        "(or, for a request that reached it and is not safe to repeat, 504).",
    )
    loader.add_option(
        "strangler_rules", str, "strangler-rules.toml",
        "Comparison rules of shadowed routes (TOML; missing: none; empty: no file).",
    )  # fmt: skip
    loader.add_option(
        "strangler_evidence", str, "",
        "Where shadow comparisons are kept (sqlite:///path or postgresql://...); empty: "
        "beside the flag store.",
    )  # fmt: skip
    loader.add_option(
        "strangler_shadow_capture_bytes", int, 1 << 20,
        "Answers of a shadowed route are compared up to this size (larger: not compared).",
    )  # fmt: skip
    loader.add_option("strangler_evidence_keep", int, 1000, "Samples kept per route.")
    loader.add_option("strangler_evidence_days", float, 7.0, "Samples kept this long.")
    loader.add_option(
        identity.OPTION, str, DEFAULT_EXCHANGE,
        "Where a client's credential is exchanged for the JWT a service gets instead (a "
        "path on the monolith, or a URL); off: services see it as sent.",
    )  # fmt: skip


def check(options: Any, updated: set[str]) -> None:
    """The options changed in ``updated`` are usable; mitmproxy connects lazily."""
    if options.connection_strategy != "lazy":
        # eager (mitmproxy's default) connects to the monolith as a client connects, and
        # drops the client, with no answer at all, when the monolith is down: even a
        # request routed to a service would fail
        logger.info("strangler: connection_strategy=lazy (the monolith only when needed)")
        options.update(connection_strategy="lazy")
    for name in POSITIVE:
        if name in updated and (value := getattr(options, name)) <= 0:
            raise exceptions.OptionsError(f"{name} must be positive, got {value}")


def store_and_router(options: Any) -> tuple[FlagStore, Router]:
    """The flag store the options name, and a router polling it."""
    poll_ms = options.strangler_poll_ms
    url = options.strangler_store
    try:
        store = open_store(url)
    except Exception as exc:  # any failure to open the store, named
        raise exceptions.OptionsError(f"strangler_store={url!r}: {exc}") from exc
    try:
        router = Router(store, poll_interval=poll_ms / 1000)
    except Exception as exc:
        store.close()
        raise exceptions.OptionsError(f"strangler_store={url!r}: {exc}") from exc
    logger.info("strangler: %s routes from %s", len(router.table), url)
    return store, router


def evidence(options: Any) -> tuple[PairEvidence, ShadowPairs]:
    """Shadow evidence: the rules file and the evidence store, both opened when used."""
    url = options.strangler_evidence or default_evidence_url(options.strangler_store)
    try:  # an unusable URL stops mitmdump now, not the first sample later
        open_evidence(url).close()
    except NoEvidence:
        pass  # the first sample makes it
    except (EvidenceError, ImportError) as exc:  # ImportError: no psycopg in .venv-mitm
        raise exceptions.OptionsError(f"strangler_evidence={url!r}: {exc}") from exc
    keep = Retention(options.strangler_evidence_keep, options.strangler_evidence_days * 86400)
    rules = RulesFile(Path(options.strangler_rules) if options.strangler_rules else None)
    kept = PairEvidence(rules, Recorder(url, keep))
    return kept, ShadowPairs(kept, options.strangler_shadow_capture_bytes)
