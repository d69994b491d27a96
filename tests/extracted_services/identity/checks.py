"""What a verifying service's answers must look like."""

from __future__ import annotations

import httpx

from strangler_proxy.stack.process import ManagedProcess

PRODUCTS = "/api/catalog/products/"


def get(service: ManagedProcess, token: str | None, path: str = PRODUCTS) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(f"{service.base_url}{path}", headers=headers, trust_env=False)


def assert_refused(answer: httpx.Response, service: str = "catalog") -> str:
    """401 ``authentication_failed`` in the envelope, with the Bearer challenge."""
    assert answer.status_code == 401, answer.text
    error = answer.json()["error"]
    assert (error["status"], error["code"]) == (401, "authentication_failed")
    assert answer.headers["WWW-Authenticate"] == f'Bearer realm="{service}"'
    return str(error["message"])
