"""A drifting "service" (``drifting.py``) in front of the session's real monolith, and the
mitmproxy environment for recording flow files."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import RunningServer
from tests.strangler_proxy.mitm.conftest import mitm_env  # noqa: F401 (a fixture here too)
from tests.strangler_proxy.replay.drifting import drifting


@pytest.fixture(scope="module")
def service(
    monolith_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with drifting(monolith_server.base_url, tmp_path_factory.mktemp("drifting")) as proc:
        yield proc.base_url
