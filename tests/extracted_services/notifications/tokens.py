"""A stand-in ID provider for the tests: a test Ed25519 key, its JWKS served by a tiny local
HTTP server (what the service's ``JWKS_URL`` points at), and JWTs minted with it carrying
DESIGN §6's claims, as the monolith's ``/api/auth/jwt/`` issues them."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ISSUER = "legacy-monolith"
AUDIENCE = "notifications"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class IdP:
    """Signs tokens; ``jwks`` is what its JWKS endpoint serves."""

    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def jwk(self) -> dict[str, str]:
        x = _b64(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        members = {"crv": "Ed25519", "kty": "OKP", "x": x}  # RFC 7638: sorted, no spaces
        canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
        kid = _b64(hashlib.sha256(canonical).digest())
        return {**members, "kid": kid, "alg": "EdDSA", "use": "sig"}

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}

    def token(
        self, user_id: int, customer_id: int | None, *, username: str = "", **claims: Any
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "username": username or f"user{user_id}",
            "customer_id": customer_id,
            "is_staff": False,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="EdDSA", headers={"kid": self.jwk["kid"]})


@contextmanager
def serve_jwks(idp: IdP) -> Iterator[str]:
    """The JWKS on ``http://127.0.0.1:<free port>/.well-known/jwks.json`` while in the block."""
    body = json.dumps(idp.jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/.well-known/jwks.json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
