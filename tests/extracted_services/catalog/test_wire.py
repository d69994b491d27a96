"""The catalog's pure modules keep their docstring examples true (pytest does not collect
the services' modules: their Django is not the test process's)."""

from __future__ import annotations

import doctest

from extracted_services.catalog import wire


def test_wire_examples() -> None:
    failed, tried = doctest.testmod(wire, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failed == 0
