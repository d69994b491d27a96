"""Noise, as Diffy finds it: what differs between two answers of the monolith itself.

Ask the monolith twice; a path that differs between its own two answers (a timestamp, a
random token) is noise, and the same path differing in the service's answer is not held
against the service. Paths are compared with their list indexes generalised, so noise
seen at ``$.results[3].seen`` covers ``$.results[7].seen`` too.

>>> from strangler_proxy.compare.diff import diff_json
>>> first, second = {"at": 1, "items": [{"seen": 5}]}, {"at": 2, "items": [{"seen": 6}]}
>>> service = {"at": 3, "items": [{"seen": 7}], "extra": True}
>>> real, noise = split_noise(diff_json(first, service), diff_json(first, second))
>>> [d.path for d in real], [d.path for d in noise]
(['$.extra'], ['$.at', '$.items[0].seen'])
>>> learned_globs(d.path for d in diff_json(first, second))
['$.at', '$.items[*].seen']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from strangler_proxy.compare.diff import Difference

_INDEX = re.compile(r"\[\d+\]")


def generalised(path: str) -> str:
    """A difference's path with every list index as ``[*]`` (a glob that matches it)."""
    return _INDEX.sub("[*]", path)


def split_noise(
    differences: Iterable[Difference], noise: Iterable[Difference]
) -> tuple[list[Difference], list[Difference]]:
    """(real, noise): the differences whose path also differed between two monolith answers."""
    noisy = {generalised(d.path) for d in noise}
    real: list[Difference] = []
    heard: list[Difference] = []
    for difference in differences:
        (heard if generalised(difference.path) in noisy else real).append(difference)
    return real, heard


def learned_globs(noise_paths: Iterable[str]) -> list[str]:
    """Ignore globs that silence noise seen at these paths (body paths only; headers and
    status are not body rules)."""
    return sorted({generalised(path) for path in noise_paths if path.startswith("$")})
