"""Regenerate the dashboard's screenshots with live data:

    python -m tests.strangler_proxy.admin.dashboard.screenshots OUTDIR [TRACES_DIR KEY]

A real ``strangler proxy run`` (``stage``) under steady traffic, a real headless Chromium
logged in through the login form: ``login.png``, ``dashboard.png`` (the whole page),
``flip.png`` (the flip form) and ``trace.png`` (a trace's waterfall, opened by request id).
With ``TRACES_DIR KEY`` the waterfall is the trace ``KEY`` (a request or trace id) of those
span files (a real stack's ``var/traces``), else the stage's own. The committed ones live in
``strangler_proxy/admin/dashboard/screenshots/``; their trace is a real stack's: a price
changed through the proxy at the catalog, with a broker (README, step 15).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.browser import Chromium, Page, chromium_binary
from tests.strangler_proxy.admin.dashboard.stage import REQUEST_ID, Stage, stage

WIDTH, HEIGHT = 1440, 900  # a laptop screen


def log_in(page: Page, admin_url: str, token: str) -> None:
    page.open(admin_url + "/dashboard/login")
    page.evaluate(f"document.getElementById('token').value = {token!r}")
    page.evaluate("document.getElementById('login').submit()")
    page.wait_for("document.querySelectorAll('#routes tbody tr[data-route]').length > 0")


def full_page(page: Page, path: Path) -> None:
    height = HEIGHT
    for _ in range(3):  # the routes' box is sized by the viewport (vh): measure again
        page.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=height,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip
        needed = int(page.evaluate("document.documentElement.scrollHeight"))
        if needed <= height:
            break
        height = needed
    page.screenshot(path)
    page.send("Emulation.clearDeviceMetricsOverride")


def shoot(out: Path, scene: Stage, page: Page, trace_key: str = REQUEST_ID) -> None:
    page.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT,
              deviceScaleFactor=1, mobile=False)  # fmt: skip
    page.open(scene.admin_url + "/dashboard")
    page.screenshot(out / "login.png")
    log_in(page, scene.admin_url, scene.token)
    # a few seconds of traffic in the window: rates, latency and burn have values
    page.wait_for("[...document.querySelectorAll('td.rps')].some(td => td.textContent !== '0.0')",
                  timeout=15)  # fmt: skip
    time.sleep(8)  # the 60 s window fills: budgets are judged past 20 requests
    full_page(page, out / "dashboard.png")
    page.evaluate("document.querySelector('button.flip[data-route=\"reviews\"]').click()")
    page.evaluate("document.getElementById('flip-mode').value = 'canary'")
    page.evaluate("document.getElementById('flip-percent').value = '10'")
    page.evaluate("document.getElementById('flip-reason').value = 'first 10% of the reviews"
                  " to the catalog once its shadow matches'")  # fmt: skip
    page.screenshot(out / "flip.png")
    page.evaluate("document.getElementById('flip').close()")
    page.evaluate(f"document.getElementById('trace-key').value = {trace_key!r}")
    page.evaluate("document.querySelector('#trace-form button').click()")
    page.wait_for("document.querySelectorAll('#waterfall .span').length > 0")
    page.evaluate("document.querySelector('.traces').scrollIntoView()")
    full_page(page, out / "trace.png")


def main(out: Path, traces: Path | None = None, trace_key: str = REQUEST_ID) -> None:
    binary = chromium_binary()
    if binary is None:
        raise SystemExit("chromium is not installed (make browser)")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dashboard-shots-") as folder:
        tmp = Path(folder)
        with stage(tmp) as scene:
            for spans in sorted(traces.glob("*.jsonl")) if traces else ():
                shutil.copy(spans, tmp / "traces" / spans.name)  # read at each lookup
            stop = threading.Event()

            def traffic() -> None:
                while not stop.is_set():
                    scene.traffic()
                    stop.wait(0.05)

            runner = threading.Thread(target=traffic, daemon=True)
            runner.start()
            try:
                with (
                    Chromium(binary, tmp / "profile", (WIDTH, HEIGHT)) as browser,
                    browser.new_page() as page,
                ):
                    shoot(out, scene, page, trace_key)
            finally:
                stop.set()
                runner.join(10)
    for name in ("login.png", "dashboard.png", "flip.png", "trace.png"):
        print(out / name)


if __name__ == "__main__":
    if len(sys.argv) == 2:
        main(Path(sys.argv[1]))
    elif len(sys.argv) == 4:
        main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
    else:
        raise SystemExit(__doc__)
