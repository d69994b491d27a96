"""The dashboard in a real headless Chromium against a real ``strangler proxy run``: the login
form for a browser without a session, the page's routes, a flip made with the command line
shown within two seconds, a flip made on the page in ``strangler routes history``.

One proxy (``stage``) and one browser for the module; the tests run in file order (the first
is the anonymous browser, the others log in).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from strangler_proxy.cli import main
from tests.browser import Chromium, Page, chromium_binary
from tests.strangler_proxy.admin.dashboard.stage import REQUEST_ID, ROUTES, Stage, stage


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    with stage(tmp_path_factory.mktemp("dashboard")) as running:
        running.traffic(3)
        yield running


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (make browser)")
    profile = tmp_path_factory.mktemp("chromium") / "profile"
    with Chromium(binary, profile) as browser, browser.new_page() as tab:
        yield tab


def mode_on_page(page: Page, route_id: str) -> str | None:
    found = page.evaluate(
        f"(() => {{ const td = document.querySelector('tr[data-route={json.dumps(route_id)}]"
        " .mode'); return td ? td.textContent : null; })()"
    )
    return str(found) if found is not None else None


def test_a_browser_without_a_session_sees_the_login_form_only(scene: Stage, page: Page) -> None:
    page.open(scene.admin_url + "/dashboard")

    assert page.evaluate("location.pathname") == "/dashboard/login"
    source = page.evaluate("document.documentElement.outerHTML")
    assert page.evaluate("!!document.querySelector('form#login input[name=token]')")
    for route in ROUTES:  # no data in the page, nor anything it could fetch
        assert route.id not in source and route.template not in source
    status = page.evaluate("fetch('/dashboard/state').then(r => r.status)", await_promise=True)
    assert status == 401

    page.evaluate("document.getElementById('token').value = 'not-the-admin-token-0123'")
    page.evaluate("document.getElementById('login').submit()")
    page.wait_for("!!document.body && document.body.innerText.includes('wrong admin token')")
    assert page.evaluate("document.cookie") == ""


def test_the_page_shows_the_routes_and_a_command_line_flip_within_two_seconds(
    scene: Stage, page: Page
) -> None:
    page.open(scene.admin_url + "/dashboard/login")
    page.evaluate(f"document.getElementById('token').value = {scene.token!r}")
    page.evaluate("document.getElementById('login').submit()")
    rows = "document.querySelectorAll('#routes tbody tr[data-route]').length"
    page.wait_for(f"{rows} === {len(ROUTES)}")

    assert page.evaluate("location.pathname") == "/dashboard"
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script reads the session
    for route in ROUTES:
        assert mode_on_page(page, route.id) == route.mode.value
    page.wait_for("document.querySelectorAll('#graph .node').length === 6")
    assert page.evaluate("document.querySelector('#graph .node[data-service=catalog]')"
                         ".dataset.progress") == "0.433"  # fmt: skip
    page.wait_for("document.getElementById('live-dot').classList.contains('on')")
    services = "document.querySelector('#services tbody').innerText"
    page.wait_for(f"{services}.includes('notifications') && {services}.includes('down')")
    assert "catalog" in page.evaluate(services)
    events = "document.getElementById('events').innerText"
    page.wait_for(f"{events}.includes('monolith')")  # its outbox: 3 events unsent
    assert page.evaluate(f"{events}.split('\\n').some(l => /monolith\\s+3/.test(l))")

    flip = ["routes", "set", "reviews", "monolith", "--reason", "mismatches on served_by"]
    done = CliRunner().invoke(main, flip, env=scene.cli_env)
    assert done.exit_code == 0, done.output
    flipped = time.monotonic()
    while mode_on_page(page, "reviews") != "monolith":
        assert time.monotonic() - flipped < 2.0, "the flip did not show within 2 s"
        time.sleep(0.02)
    assert time.monotonic() - flipped < 2.0


def test_a_flip_made_on_the_page_is_in_the_audit_history(scene: Stage, page: Page) -> None:
    page.wait_for("document.querySelector('button.flip[data-route=orders]') !== null")
    page.evaluate("document.querySelector('button.flip[data-route=orders]').click()")
    page.wait_for("document.getElementById('flip').open")
    page.evaluate("document.getElementById('flip-mode').value = 'shadow'")
    page.evaluate("document.getElementById('flip-service').value = 'catalog'")

    page.evaluate("document.getElementById('flip-submit').click()")  # no reason: not sent
    assert page.evaluate("document.getElementById('flip-reason').validity.valueMissing")
    assert page.evaluate("document.getElementById('flip').open")
    assert mode_on_page(page, "orders") == "monolith"

    reason = "shadow the orders list against the catalog stand-in"
    page.evaluate(f"document.getElementById('flip-reason').value = {reason!r}")
    page.evaluate("document.getElementById('flip-submit').click()")
    page.wait_for("!document.getElementById('flip').open")
    page.wait_for("document.querySelector('tr[data-route=orders] .mode').textContent === 'shadow'")

    history = CliRunner().invoke(
        main, ["routes", "history", "orders", "--json", "--limit", "1"], env=scene.cli_env
    )
    assert history.exit_code == 0, history.output
    record = json.loads(history.output)["history"][0]
    assert record["actor"] == "dashboard:ci"
    assert record["reason"] == reason
    assert record["after"]["mode"] == "shadow"


def test_traffic_shows_and_a_trace_opens_as_a_waterfall(scene: Stage, page: Page) -> None:
    scene.traffic(2)  # the proxy's counters move: the page's rate and latency follow
    products = "document.querySelector('tr[data-route=products]')"
    page.wait_for(f"{products}.querySelector('td.rps').textContent !== '0.0'", timeout=5)
    assert " ms" in page.evaluate(f"{products}.innerText")

    page.evaluate(f"document.getElementById('trace-key').value = {REQUEST_ID!r}")
    page.evaluate("document.querySelector('#trace-form button').click()")
    page.wait_for("document.querySelectorAll('#waterfall .span').length === 9")
    message = page.evaluate("document.getElementById('trace-message').textContent")
    assert "legacy-monolith" in message and "9 spans" in message


def test_the_route_filter(page: Page) -> None:
    rows = (
        "[...document.querySelectorAll('#routes tbody tr[data-route]')].map(r => r.dataset.route)"
    )
    field = "document.getElementById('route-filter')"
    page.evaluate(f"{field}.value = 'canary catalog'; {field}.dispatchEvent(new Event('input'))")
    assert page.evaluate(rows) == ["product-detail"]
    page.evaluate(f"{field}.value = ''; {field}.dispatchEvent(new Event('input'))")
    assert len(page.evaluate(rows)) == len(ROUTES)
