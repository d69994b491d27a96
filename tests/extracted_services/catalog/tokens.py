"""The monolith's users as the catalog's tests call both sides: a DRF token for the monolith,
and the JWT the monolith issues for the catalog (``POST /api/auth/jwt/``, audience
``catalog``) for the service, so one write is made by the same user either way."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

STAFF = ("staff", "staff-demo-pass")


def customer(n: int) -> tuple[str, str]:
    return (f"customer{n:04d}", "shop-demo-pass")


@dataclass(frozen=True)
class Caller:
    username: str
    drf_token: str
    jwt: str

    @property
    def monolith(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.drf_token}"}

    @property
    def service(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.jwt}"}


def log_in(monolith: str, user: tuple[str, str]) -> Caller:
    username, password = user
    credentials = {"username": username, "password": password}
    drf = httpx.post(f"{monolith}/api/auth/token/", json=credentials)
    drf.raise_for_status()
    bearer = httpx.post(f"{monolith}/api/auth/jwt/", json={**credentials, "audience": "catalog"})
    bearer.raise_for_status()
    return Caller(username, str(drf.json()["token"]), str(bearer.json()["access"]))
