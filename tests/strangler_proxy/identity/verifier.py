"""A service stand-in that verifies what the proxy sends it as a service must (DESIGN §6):
the Bearer JWT against the monolith's published keys with PyJWT's ``PyJWKClient``,
``EdDSA`` pinned, its own audience, the monolith's issuer, the claims required, 30 s leeway.

Any ``GET`` answers who the token says the caller is (``{"username", "sub", "is_staff",
"aud"}``), ``{"anonymous": true}`` without ``Authorization``, or the 401 envelope; each
answer also says whether a ``Cookie`` or a non-Bearer ``Authorization`` reached it.
A thread of the test process, like ``idp.IdP``; ``calls`` counts the requests.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import jwt

REQUIRED = ["exp", "iat", "nbf", "iss", "aud", "sub"]


class Verifier:
    def __init__(self, jwks_url: str, audience: str, issuer: str = "legacy-monolith") -> None:
        self.audience = audience
        self.issuer = issuer
        self.keys = jwt.PyJWKClient(jwks_url)
        self.calls = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls += 1
        authorization = headers.get("authorization", "")
        seen = {"cookie": "cookie" in headers, "credential": not authorization.startswith("Bearer")}
        if not authorization:
            return 200, {"anonymous": True, **seen}
        token = authorization.removeprefix("Bearer ")
        try:
            key = self.keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token, key.key, algorithms=["EdDSA"], audience=self.audience,
                issuer=self.issuer, leeway=30, options={"require": REQUIRED},
            )  # fmt: skip
        except jwt.PyJWTError as exc:
            error = {"status": 401, "code": "authentication_failed", "message": str(exc)}
            return 401, {"error": error}
        kept = ("username", "sub", "is_staff", "aud")
        return 200, {**{name: claims.get(name) for name in kept}, **seen}

    def __enter__(self) -> Verifier:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(verifier: Verifier) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, doc = verifier.answer({k.lower(): v for k, v in self.headers.items()})
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
