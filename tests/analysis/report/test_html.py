"""report.html: self-contained, and checked in a real headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import Chromium, Page, chromium_binary


def test_the_page_is_self_contained(written: Path) -> None:
    html = (written / "report.html").read_text()

    external = re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    assert external == []
    assert "<script src" not in html and "<link" not in html
    assert html.count('class="node"') == 4  # catalog, orders, payments, shared


def test_the_page_escapes_what_it_shows(doc: dict[str, Any], tmp_path: Path) -> None:
    from analysis.report import render_html

    doc["root"] = "<script>alert(1)</script>"
    doc["services"][0]["modules"].append("</script><b>x")

    html = render_html(doc)

    assert "<script>alert(1)</script>" not in html
    assert "</script><b>x" not in html


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    profile = tmp_path_factory.mktemp("chromium") / "profile"
    with Chromium(binary, profile) as browser, browser.new_page() as tab:
        yield tab


def node_centre(page: Page, service: str) -> tuple[float, float]:
    box = page.evaluate(
        f"(() => {{ const r = document.querySelector('.node[data-service=\"{service}\"] circle')"
        ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
    )
    return float(box[0]), float(box[1])


def test_the_graph_renders_and_a_click_shows_the_services_contents(
    page: Page, written: Path
) -> None:
    page.open((written / "report.html").as_uri())
    page.wait_for("document.querySelectorAll('#graph .node').length > 0")

    assert page.evaluate("document.querySelectorAll('#graph .node').length") == 4
    assert page.evaluate("document.querySelectorAll('#graph .edge').length") > 0
    assert page.evaluate("document.querySelector('#graph').getBoundingClientRect().width") > 300

    x, y = node_centre(page, "orders")
    page.click(x, y)
    page.wait_for("document.getElementById('details-title') !== null")

    details = page.evaluate("document.getElementById('details').innerText")
    assert details.startswith("orders")
    assert "orders.OrderLine" in details
    assert "/api/orders/{pk}/checkout/" in details
    assert "shop.orders.services" in details
    assert "extraction step 3 of 3" in details
    assert page.evaluate("document.querySelector('.node.selected').dataset.service") == "orders"
    page.screenshot(written / "screenshot.png")


def test_the_wheel_zooms_and_reset_restores(page: Page, written: Path) -> None:
    page.open((written / "report.html").as_uri())
    before = page.evaluate("document.getElementById('graph').getAttribute('viewBox')")
    x, y = node_centre(page, "catalog")

    page.wheel(x, y, -400)
    page.wait_for(f"document.getElementById('graph').getAttribute('viewBox') !== '{before}'")
    zoomed = page.evaluate("document.getElementById('graph').getAttribute('viewBox')")
    assert float(zoomed.split()[2]) < float(before.split()[2])  # narrower view: zoomed in

    page.evaluate("document.getElementById('zoom-reset').click()")
    assert page.evaluate("document.getElementById('graph').getAttribute('viewBox')") == before
