"""The examples in the docstrings of the traffic and stack modules stay true."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from strangler_proxy.stack import spec as stack_spec
from strangler_proxy.traffic import pacing, plan, spec


@pytest.mark.parametrize("module", [plan, pacing, spec, stack_spec], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.IGNORE_EXCEPTION_DETAIL)
    assert result.attempted > 0
    assert result.failed == 0
