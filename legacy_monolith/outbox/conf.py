"""The outbox's settings, read from the environment (the shared settings module stays as it is).

>>> events_token({"EVENTS_TOKEN": "s3cret"})
's3cret'
>>> events_token({"EVENTS_TOKEN": ""}) is None
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: the producer name this monolith writes into ``outbox.origin`` and ``entity_version.origin``
ORIGIN = "monolith"
#: the consumer name of its inbox (the deliverer's subscriber name)
CONSUMER = "monolith"


def events_token(environ: Mapping[str, str] = os.environ) -> str | None:
    """``EVENTS_TOKEN``: the bearer token the deliverer presents; unset or empty: none."""
    return environ.get("EVENTS_TOKEN") or None
