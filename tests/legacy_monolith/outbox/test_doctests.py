"""The examples in the outbox's docstrings (the monolith is not collected with
``--doctest-modules``, so they run from here)."""

import doctest

import pytest

from legacy_monolith.notifications import services as notifications
from legacy_monolith.outbox import conf, events, payloads


@pytest.mark.parametrize("module", [conf, events, payloads, notifications])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
