"""Every analysis test keeps the per-user cache in its own temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.cache import ENV


@pytest.fixture(autouse=True)
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder standing for ``~/.cache/strangler`` in this test (``$STRANGLER_CACHE_DIR``)."""
    folder = tmp_path / "user-cache"
    monkeypatch.setenv(ENV, str(folder))
    return folder
