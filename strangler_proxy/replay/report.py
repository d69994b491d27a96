"""A replay's results for tools: JSON and JUnit XML (pure: a run in, text out).

>>> from strangler_proxy.compare.outcome import Outcome, Verdict
>>> from strangler_proxy.replay.sources import Request
>>> from strangler_proxy.replay.runner import Replayed, Run
>>> run = Run([Replayed(Request("GET", "/a/"), Outcome(Verdict.MATCH))], [Request("POST", "/b/")])
>>> as_json(run)["totals"]["compared"], as_json(run)["totals"]["skipped"]
(1, 1)
>>> print(as_junit(run).splitlines()[1])
<testsuite name="strangler compare" tests="2" failures="0" errors="0" skipped="1">
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import orjson

from strangler_proxy.compare.diff import Difference
from strangler_proxy.compare.outcome import Verdict
from strangler_proxy.replay.runner import Run
from strangler_proxy.replay.sources import Request
from strangler_proxy.replay.totals import Totals


def totals(run: Run) -> Totals:
    counted = Totals().add(r.outcome for r in run.replayed)
    counted.skipped = len(run.skipped)
    return counted


def as_json(run: Run) -> dict[str, Any]:
    counted = totals(run)
    return {
        "requests": [
            {
                "method": r.request.method,
                "path": r.request.path,
                "verdict": r.outcome.verdict.value,
                "differences": [_difference(d) for d in r.outcome.differences],
                "noise": [d.path for d in r.outcome.noise],
                **({"error": r.outcome.error} if r.outcome.error else {}),
            }
            for r in run.replayed
        ],
        "skipped": [
            {"method": r.method, "path": r.path, "why": "writes need --allow-writes"}
            for r in run.skipped
        ],
        "totals": {
            "requests": counted.compared + counted.skipped,
            "compared": counted.compared,
            **{verdict.value: counted.verdicts[verdict] for verdict in Verdict},
            "skipped": counted.skipped,
            "mismatch_rate": round(counted.mismatch_rate, 6),
        },
        "paths": dict(counted.paths.most_common()),
    }


def json_text(run: Run) -> str:
    return orjson.dumps(as_json(run), option=orjson.OPT_INDENT_2).decode() + "\n"


def _difference(d: Difference) -> dict[str, Any]:
    return {"path": d.path, "kind": d.kind.value, "monolith": d.monolith, "service": d.service}


def as_junit(run: Run) -> str:
    """One test case per request: a mismatch is a failure, an error an error, a write skipped."""
    counted = totals(run)
    suite = ElementTree.Element(
        "testsuite",
        name="strangler compare",
        tests=str(counted.compared + counted.skipped),
        failures=str(counted.verdicts[Verdict.MISMATCH]),
        errors=str(counted.verdicts[Verdict.ERROR]),
        skipped=str(counted.skipped),
    )
    for r in run.replayed:
        case = _case(suite, r.request)
        differences = r.outcome.differences
        if r.outcome.verdict is Verdict.MISMATCH:
            failure = ElementTree.SubElement(
                case, "failure", message=f"{len(differences)} difference(s)"
            )
            failure.text = "\n".join(
                f"{d.path} {d.kind.value}: {d.monolith!r} -> {d.service!r}" for d in differences
            )
        elif r.outcome.verdict is Verdict.ERROR:
            ElementTree.SubElement(case, "error", message=r.outcome.error or "error")
    for request in run.skipped:
        ElementTree.SubElement(
            _case(suite, request), "skipped", message="writes need --allow-writes"
        )
    ElementTree.indent(suite)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        + ElementTree.tostring(suite, encoding="unicode")
        + "\n"
    )


def _case(suite: ElementTree.Element, request: Request) -> ElementTree.Element:
    return ElementTree.SubElement(
        suite, "testcase", classname="replay", name=f"{request.method} {request.path}"
    )
