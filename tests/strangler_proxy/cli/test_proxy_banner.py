"""``strangler proxy run``'s start-up table, in its log (a pipe): plain lines, the store URL
and the addresses whole, however long the path."""

from __future__ import annotations

from pathlib import Path

from strangler_proxy.store import SqliteFlagStore
from tests.strangler_proxy.proxy_stack import proxy, route, seed, standin


def test_the_banner_keeps_urls_whole_in_a_log(tmp_path: Path) -> None:
    deep = tmp_path / "a-state-directory-with-a-long-name" / "and-another-level-below-it"
    deep.mkdir(parents=True)
    store_url = f"sqlite:///{deep / 'flags.sqlite3'}"
    with standin("monolith", tmp_path) as monolith:
        with SqliteFlagStore(deep / "flags.sqlite3", create=True) as store:
            seed(store, {}, [route("products", "/api/catalog/products/")])
        with proxy(monolith.url, store_url, tmp_path) as edge:
            assert edge.log_path is not None
            lines = edge.log_path.read_text().splitlines()
    banner = lines[lines.index("strangler proxy") + 1 :]
    assert f"store     {store_url} (version 1)" in banner
    assert f"monolith  {monolith.url}" in banner
    assert any(line.startswith(f"listen    {edge.url} (") for line in banner), banner
    assert not any(set(line) & set("│┃━─┏┗") for line in banner)
