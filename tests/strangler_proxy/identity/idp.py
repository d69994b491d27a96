"""A stand-in ID provider: a tiny real HTTP server (a thread of the test process) answering
the monolith's exchange contract (DESIGN §6) and counting the calls.

``POST <any path>`` with ``{"audience": A}``: a client presenting ``Authorization: Token
good-<user>``, ``Authorization: Bearer good-<user>`` or the cookie ``sessionid=good-<user>``
gets ``{"access": <HS256 JWT: sub=<user>, aud=A>, "expires_in": lifetime, "token_type":
"Bearer"}``; any other credential gets the monolith's 401 envelope (``authentication_failed``,
``WWW-Authenticate: Token``), none a 401 ``not_authenticated``. ``delay`` holds each answer
back (so concurrent requests overlap), ``lifetime`` sets ``expires_in``.

>>> with IdP() as idp:
...     import httpx
...     answer = httpx.post(idp.url, json={"audience": "catalog"},
...                         headers={"Authorization": "Token good-ann"}, trust_env=False)
...     claims = idp.claims(answer.json()["access"])
...     (claims["sub"], claims["aud"], idp.calls)
('ann', 'catalog', 1)
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import jwt

SECRET = "stand-in-idp-secret-of-32-bytes!"
ISSUER = "stand-in-idp"


class IdP:
    def __init__(self, lifetime: int = 300, delay: float = 0.0) -> None:
        self.lifetime = lifetime
        self.delay = delay
        self.by_credential: Counter[tuple[str, str]] = Counter()  # (credential, audience)
        self.seen: list[dict[str, str]] = []  # each call's headers (lower-case names)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/auth/jwt/exchange/"

    @property
    def calls(self) -> int:
        with self._lock:
            return sum(self.by_credential.values())

    def reset(self) -> None:
        with self._lock:
            self.by_credential.clear()
            self.seen.clear()

    @staticmethod
    def claims(token: str, audience: str | None = None) -> dict[str, Any]:
        if audience is None:
            decoded: dict[str, Any] = jwt.decode(
                token, SECRET, algorithms=["HS256"], options={"verify_aud": False}
            )
            return decoded
        return dict(jwt.decode(token, SECRET, algorithms=["HS256"], audience=audience))

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        audience = str(json.loads(body or b"{}").get("audience", "shop"))
        authorization = headers.get("authorization", "")
        cookies = dict(p.strip().partition("=")[::2] for p in headers.get("cookie", "").split(";"))
        credential = authorization or (
            f"sessionid={cookies['sessionid']}" if "sessionid" in cookies else ""
        )
        with self._lock:
            self.by_credential[credential, audience] += 1
            self.seen.append(headers)
        time.sleep(self.delay)
        secret = credential.split(" ", 1)[-1].removeprefix("sessionid=")
        if not credential:
            return _refusal("not_authenticated", "Authentication credentials were not provided.")
        if not secret.startswith("good-"):
            return _refusal("authentication_failed", "Invalid token.")
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": audience, "sub": secret.removeprefix("good-"), "iat": now,
                  "nbf": now, "exp": now + self.lifetime, "jti": uuid.uuid4().hex}  # fmt: skip
        token = jwt.encode(claims, SECRET, algorithm="HS256")
        doc = {"access": token, "expires_in": self.lifetime, "token_type": "Bearer"}
        return 200, {"content-type": "application/json"}, json.dumps(doc).encode()

    def __enter__(self) -> IdP:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def _refusal(code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"error": {"status": 401, "code": code, "message": message}}).encode()
    return 401, {"content-type": "application/json", "www-authenticate": "Token"}, body


def _handler(idp: IdP) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the monolith's gunicorn

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer_headers, answer = idp.answer(headers, body)
            self.send_response(status)
            for name, value in answer_headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
