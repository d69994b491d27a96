"""A real headless Chromium driven over the DevTools protocol (a small websocket client).

Selenium is not needed for three commands: open a page, evaluate JavaScript, click at a point.
Used by the analyzer report's tests, the comparison's and the admin dashboard's. Chromium runs
with a fresh profile and nothing of its own on the network (no QUIC, no component updates, no
sync, no background requests), so a test sees only the traffic it makes.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from strangler_proxy.stack.process import ManagedProcess, free_port


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    """One tab of a running Chromium, attached over the DevTools websocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=30))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def evaluate(self, expression: str, await_promise: bool = False) -> Any:
        """The expression's value (with ``await_promise``, the value its promise settles to)."""
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=await_promise,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, ready: str = "document.readyState === 'complete'") -> None:
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        self.wait_for(ready)

    def wait_for(self, expression: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout}s: {expression}")
            time.sleep(0.05)

    def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def wheel(self, x: float, y: float, delta_y: float) -> None:
        self.send("Input.dispatchMouseEvent", type="mouseWheel", x=x, y=y, deltaX=0, deltaY=delta_y)

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))


class Chromium:
    """Headless Chromium on a free loopback port, with a throwaway profile."""

    def __init__(self, binary: str, profile: Path, window: tuple[int, int] = (1400, 1000)) -> None:
        self.port = free_port()
        self.process = ManagedProcess(
            "chromium",
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                f"--user-data-dir={profile}",
                f"--remote-debugging-port={self.port}",
                "--remote-debugging-address=127.0.0.1",
                f"--window-size={window[0]},{window[1]}",
                "about:blank",
            ],
            health_url=f"http://127.0.0.1:{self.port}/json/version",
            log_path=profile.parent / "chromium.log",
        )

    def __enter__(self) -> Chromium:
        self.process.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.__exit__(None, None, None)

    @contextlib.contextmanager
    def new_page(self) -> Iterator[Page]:
        target = httpx.put(f"http://127.0.0.1:{self.port}/json/new?about:blank").json()
        with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
            yield Page(ws)
