"""The services' JWKS client keeps serving the last key set it fetched while the endpoint
is down (stale-if-error), and says plainly when it never had one. Both services hold the
same copy; each is checked. The client needs no Django settings: it runs in this process
against a small JWKS server on a free port."""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.extracted_services.identity.forgeries import b64url, kid_of

KEY = Ed25519PrivateKey.generate()
RAW = KEY.public_key().public_bytes_raw()
JWKS = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": b64url(RAW), "kid": kid_of(KEY)}]}


class Jwks(BaseHTTPRequestHandler):
    body = json.dumps(JWKS).encode()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def jwks_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["catalog", "notifications"])
def identity(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(f"extracted_services.{request.param}.identity")


def url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"


def test_the_last_key_set_serves_while_the_endpoint_is_down(
    identity: ModuleType, jwks_server: ThreadingHTTPServer
) -> None:
    client = identity._JwksClient(url(jwks_server))
    assert client.get_signing_key(kid_of(KEY)).key_id == kid_of(KEY)
    jwks_server.shutdown()
    jwks_server.server_close()
    refreshed = client.get_signing_keys(refresh=True)  # the fetch fails: the last set serves
    assert [key.key_id for key in refreshed] == [kid_of(KEY)]


def test_never_fetched_is_unreachable_naming_the_url(identity: ModuleType) -> None:
    client = identity._JwksClient("http://127.0.0.1:1/.well-known/jwks.json")
    with pytest.raises(identity._JwksUnreachable, match=r"127\.0\.0\.1:1/\.well-known"):
        client.get_signing_key("any")


def test_a_body_that_is_not_json_is_unreachable_too(
    identity: ModuleType, jwks_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Jwks, "body", b"<html>maintenance</html>")
    with pytest.raises(identity._JwksUnreachable):
        identity._JwksClient(url(jwks_server)).get_signing_key("any")
