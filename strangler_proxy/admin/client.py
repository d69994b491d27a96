"""``AdminClient``: the admin API over HTTP (httpx), for the CLI and for scripts.

Every failure becomes one ``AdminError`` with a one-line message fit for a terminal.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from strangler_proxy import envelope

DEFAULT_ADMIN_URL = "http://127.0.0.1:8081"
ADMIN_URL_ENV = "STRANGLER_ADMIN_URL"


class AdminError(RuntimeError):
    """The admin API refused or could not be reached; ``str()`` is one clear line."""

    def __init__(self, message: str, status: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


class AdminClient:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        actor: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"accept": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        headers["x-strangler-actor"] = actor or _login()
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            trust_env=False,  # the admin API is on loopback: never through a proxy variable
            transport=transport,
        )

    def routes(self) -> dict[str, Any]:
        return self._call("GET", "/routes")

    def route(self, route_id: str) -> dict[str, Any]:
        return self._call("GET", f"/routes/{_seg(route_id)}")

    def set_route(
        self,
        route_id: str,
        *,
        mode: str | None = None,
        percent: int | None = None,
        service: str | None = None,
        shadow_writes: bool | None = None,
        force: bool = False,
        reason: str,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"reason": reason, **({"force": True} if force else {})}
        given = (("mode", mode), ("percent", percent), ("service", service),
                 ("shadow_writes", shadow_writes))  # fmt: skip
        for key, value in given:
            if value is not None:
                body[key] = value
        return self._call("PATCH", f"/routes/{_seg(route_id)}", json=body)

    def diffs(self, route_id: str | None = None, limit: int = 20) -> dict[str, Any]:
        """The shadow evidence: every route's summary, or one route's with its samples."""
        if route_id is None:
            found: dict[str, Any] = self._call("GET", "/diffs")
            return found
        one: dict[str, Any] = self._call("GET", f"/diffs/{_seg(route_id)}", params={"limit": limit})
        return one

    def history(self, route_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        path = "/history" if route_id is None else f"/routes/{_seg(route_id)}/history"
        records: list[dict[str, Any]] = self._call("GET", path, params={"limit": limit})["history"]
        return records

    def services(self) -> list[dict[str, Any]]:
        services: list[dict[str, Any]] = self._call("GET", "/services")["services"]
        return services

    def register_service(self, name: str, urls: Sequence[str], reason: str = "") -> dict[str, Any]:
        body = {"name": name, "urls": list(urls), **({"reason": reason} if reason else {})}
        return self._call("POST", "/services", json=body)

    def service_health(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"/services/{_seg(name)}/health")

    def metrics(self) -> str:
        return self._send("GET", "/metrics").text

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(method, path, **kwargs)
        try:
            data = response.json()
        except ValueError as exc:
            raise AdminError(f"the admin API sent a non-JSON answer to {method} {path}") from exc
        if not isinstance(data, dict):
            raise AdminError(f"the admin API sent an unexpected answer to {method} {path}")
        return data

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise AdminError(
                f"cannot reach the admin API at {self.base_url}: {exc or type(exc).__name__}"
            ) from exc
        if response.is_success:
            return response
        message = envelope.error_message(response.content)
        fields = envelope.error_fields(response.content)
        field = next(iter(fields), None)
        if message is None:  # not the toolkit's envelope (something else on that port)
            message = response.text.strip()[:200] or response.reason_phrase
        hint = " (check --token / STRANGLER_ADMIN_TOKEN)" if response.status_code == 401 else ""
        raise AdminError(f"{response.status_code}: {message}{hint}", response.status_code, field)


def _seg(value: str) -> str:
    """One path segment: ``/`` and spaces in route ids are percent-encoded."""
    return quote(value, safe="")


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"
