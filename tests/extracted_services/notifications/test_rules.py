"""The service's pure modules (no Django) run their doctested examples here: pytest's doctest
collection stays out of ``extracted_services`` (each service is its own Django project)."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from extracted_services.notifications import rules, source


@pytest.mark.parametrize("module", [rules, source], ids=lambda m: m.__name__)
def test_doctests(module: ModuleType) -> None:
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failed == 0
