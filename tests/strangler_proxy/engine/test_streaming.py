"""Bodies stream both ways: 1 GiB up and down leave the proxy's memory flat."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx

from tests.strangler_proxy.proxy_stack import Running, rss_peak_kib

SIZE = 1024 * 1024 * 1024
BLOCK = b"s" * (1024 * 1024)
#: how much the proxy's peak RSS may grow while moving 1 GiB (it buffers ~1 MiB at most)
ALLOWED_GROWTH_KIB = 48 * 1024


def test_a_1_gib_download_streams_through(edge: Running) -> None:
    assert edge.pid is not None
    before = rss_peak_kib(edge.pid)
    received = 0
    with httpx.stream("GET", f"{edge.url}/big?size={SIZE}", trust_env=False, timeout=120) as resp:
        assert resp.status_code == 200
        for chunk in resp.iter_raw():
            received += len(chunk)
    assert received == SIZE
    assert rss_peak_kib(edge.pid) - before < ALLOWED_GROWTH_KIB


def test_a_1_gib_upload_streams_through(edge: Running) -> None:
    assert edge.pid is not None
    before = rss_peak_kib(edge.pid)
    digest = hashlib.sha256()

    def body() -> Iterator[bytes]:
        for _ in range(SIZE // len(BLOCK)):
            digest.update(BLOCK)
            yield BLOCK

    response = httpx.post(
        f"{edge.url}/upload",
        content=body(),
        headers={"Content-Length": str(SIZE)},
        trust_env=False,
        timeout=120,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"bytes": SIZE, "sha256": digest.hexdigest()}
    assert rss_peak_kib(edge.pid) - before < ALLOWED_GROWTH_KIB


def test_a_chunked_upload_streams_through(edge: Running) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(64):
            yield BLOCK

    response = httpx.post(f"{edge.url}/upload", content=body(), trust_env=False, timeout=120)
    assert response.status_code == 200, response.text
    assert response.json()["bytes"] == 64 * len(BLOCK)
