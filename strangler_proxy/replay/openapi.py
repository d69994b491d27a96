"""GET requests for every operation an OpenAPI schema lists (pure), so a route with no
recorded traffic still gets evidence.

An operation without path parameters is asked as is; one with a parameter
(``/api/catalog/products/{id}/``) takes the ids found in the answer of its collection
(``/api/catalog/products/``: ``results[*].id`` of a paginated list, or ``[*].id``).

>>> schema = {"paths": {
...     "/api/catalog/products/": {"get": {}, "post": {}},
...     "/api/catalog/products/{id}/": {"get": {}, "delete": {}},
...     "/api/catalog/products/{id}/prices/": {"get": {}},
...     "/api/orders/{id}/cancel/": {"post": {}}}}
>>> plan = plan_requests(schema)
>>> plan.direct
['/api/catalog/products/']
>>> plan.templated
['/api/catalog/products/{id}/', '/api/catalog/products/{id}/prices/']
>>> sorted(set(plan.collections().values()))
['/api/catalog/products/']
>>> answers = {"/api/catalog/products/": {"count": 2, "results": [{"id": 7}, {"id": 9}]}}
>>> expand(plan, answers, per_template=1)
['/api/catalog/products/', '/api/catalog/products/7/', '/api/catalog/products/7/prices/']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_PARAMETER = re.compile(r"\{[^/{}]+\}")


@dataclass(frozen=True, slots=True)
class Plan:
    direct: list[str]  # GET paths without parameters
    templated: list[str]  # GET paths with exactly one parameter
    unfillable: list[str]  # GET paths with more than one parameter (listed, not asked)

    def collections(self) -> dict[str, str]:
        """Each templated path -> the collection whose answer gives its ids."""
        return {template: _collection(template) for template in self.templated}


def _collection(template: str) -> str:
    match = _PARAMETER.search(template)
    return template[: match.start()] if match else template


def plan_requests(schema: Mapping[str, Any]) -> Plan:
    paths = schema.get("paths")
    if not isinstance(paths, Mapping):
        raise ValueError("not an OpenAPI schema: no 'paths' object")
    direct: list[str] = []
    templated: list[str] = []
    unfillable: list[str] = []
    for path, operations in sorted(paths.items()):
        if not isinstance(operations, Mapping) or "get" not in operations:
            continue
        parameters = len(_PARAMETER.findall(path))
        (direct if parameters == 0 else templated if parameters == 1 else unfillable).append(path)
    return Plan(direct, templated, unfillable)


def ids_in(answer: Any) -> list[Any]:
    """The ``id`` (or ``pk``) of each item of a list answer, paginated or not."""
    items = answer.get("results") if isinstance(answer, Mapping) else answer
    if not isinstance(items, list):
        return []
    found = []
    for item in items:
        if isinstance(item, Mapping):
            key = item.get("id", item.get("pk"))
            if isinstance(key, int | str) and not isinstance(key, bool):
                found.append(key)
    return found


def expand(plan: Plan, answers: Mapping[str, Any], per_template: int = 3) -> list[str]:
    """The paths to ask: every direct one, and each template with up to ``per_template`` ids
    from its collection's answer (``answers``: collection path -> parsed JSON)."""
    paths = list(plan.direct)
    for template, collection in plan.collections().items():
        for key in ids_in(answers.get(collection))[:per_template]:
            paths.append(_PARAMETER.sub(str(key), template, count=1))
    return sorted(paths, key=lambda p: (p.count("/"), p))
