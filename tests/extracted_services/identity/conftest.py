"""A monolith of its own (its keys in a known directory, so tests may rotate them and sign
as the ID provider would) and the catalog service verifying against its JWKS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest

from strangler_proxy.stack.monolith import monolith_env
from strangler_proxy.stack.process import ManagedProcess
from tests.conftest import prepare_monolith_db, start_monolith
from tests.extracted_services.catalog.service import start_catalog
from tests.extracted_services.identity.forgeries import Forger, current_key


@dataclass(frozen=True)
class IdP:
    """The monolith as ID provider."""

    process: ManagedProcess
    env: dict[str, str]
    keys_dir: Path

    @property
    def base_url(self) -> str:
        return self.process.base_url

    def token(self, username: str, password: str, audience: str) -> str:
        body = {"username": username, "password": password, "audience": audience}
        answer = httpx.post(f"{self.base_url}/api/auth/jwt/", json=body, trust_env=False)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access"])

    def forger(self, audience: str, other_audience: str) -> Forger:
        """Signs with the monolith's current key, as the staff user."""
        staff = self.token("staff", "staff-demo-pass", audience)
        claims = jwt.decode(staff, options={"verify_signature": False})
        subject = {name: claims[name] for name in ("sub", "username", "customer_id", "is_staff")}
        issuer = str(claims["iss"])
        return Forger(current_key(self.keys_dir), issuer, audience, other_audience, subject)


@pytest.fixture(scope="package")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdP]:
    var_dir = tmp_path_factory.mktemp("idp")
    env = {**monolith_env(var_dir), "JWT_KEYS_DIR": str(var_dir / "keys")}
    prepare_monolith_db(env)
    process = start_monolith(var_dir, env)
    try:
        yield IdP(process, env, var_dir / "keys")
    finally:
        process.stop()


@pytest.fixture(scope="package")
def catalog(idp: IdP, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    process = start_catalog(tmp_path_factory.mktemp("catalog"), monolith=idp.base_url)
    try:
        yield process
    finally:
        process.stop()
