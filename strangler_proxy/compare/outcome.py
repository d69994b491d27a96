"""One comparison's verdict from the answers (pure): match, mismatch, noise or error.

>>> from strangler_proxy.compare.answers import Answer
>>> json = (("Content-Type", "application/json"),)
>>> monolith = Answer(200, json, b'{"at": 1, "n": 5}')
>>> again = Answer(200, json, b'{"at": 2, "n": 5}')
>>> judge(monolith, Answer(200, json, b'{"at": 3, "n": 5}'), again).verdict
<Verdict.NOISE: 'noise'>
>>> outcome = judge(monolith, Answer(200, json, b'{"at": 3, "n": 6}'), again)
>>> outcome.verdict, [d.path for d in outcome.differences], [d.path for d in outcome.noise]
(<Verdict.MISMATCH: 'mismatch'>, ['$.n'], ['$.at'])
>>> judge(monolith, "connection refused").verdict
<Verdict.ERROR: 'error'>
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from strangler_proxy.compare.answers import Answer, compare_answers
from strangler_proxy.compare.diff import Difference
from strangler_proxy.compare.noise import split_noise
from strangler_proxy.compare.rules import CompiledRules


class Verdict(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"  # a difference the monolith's own answers do not show
    NOISE = "noise"  # differences, all of them also between two monolith answers
    ERROR = "error"  # a side did not answer


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    differences: tuple[Difference, ...] = ()  # the real ones: not noise
    noise: tuple[Difference, ...] = ()  # between the monolith's own two answers (``again``)
    error: str | None = None


def judge(
    monolith: Answer | str,
    service: Answer | str,
    again: Answer | str | None = None,
    rules: CompiledRules | None = None,
) -> Outcome:
    """A side given as a string did not answer: the string says why."""
    for side, answer in (("monolith", monolith), ("service", service), ("monolith again", again)):
        if isinstance(answer, str):
            return Outcome(Verdict.ERROR, error=f"{side}: {answer}")
    assert isinstance(monolith, Answer) and isinstance(service, Answer)
    found = compare_answers(monolith, service, rules)
    noise: list[Difference] = []  # every path the monolith disagrees with itself on
    heard: list[Difference] = []  # the service's differences that are only that noise
    if isinstance(again, Answer):
        noise = compare_answers(monolith, again, rules)
        found, heard = split_noise(found, noise)
    if found:
        return Outcome(Verdict.MISMATCH, tuple(found), tuple(noise))
    return Outcome(Verdict.NOISE if heard else Verdict.MATCH, (), tuple(noise))
