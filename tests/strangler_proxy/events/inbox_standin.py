"""A stand-in subscriber: a real HTTP process with DESIGN §5's inbox endpoint.

``python -m tests.strangler_proxy.events.inbox_standin --name catalog --db PATH --token T``
prints ``inbox standin listening on http://127.0.0.1:PORT`` (``LISTENING``) and serves:

- ``POST /internal/events/``  the inbox: bearer token checked, each event applied in its own
  transaction (SQLite at ``--db``, so what it applied survives a SIGKILL): ``duplicate``
  when its id is in the inbox, ``ignored`` when its origin is ``--name``, ``stale`` unless
  ``(version, origin)`` is newer than the entity's, ``rejected`` (reason: the payload's
  ``poison`` value) when the payload has ``poison``, else ``applied``
- ``POST /_control/mode/M``   ``ok``, ``fail`` (503 to every batch), ``garbage`` (200 with a
  body that is not results) or ``slow`` (each batch answered after 0.2 s)
- ``GET /_applied``           every applied event, in applying order: ``[[id, type, key,
  version], ...]`` (``key`` = ``aggregatetype:aggregateid``); ``/_applied_at`` adds when
  (epoch seconds)
- ``GET /_headers``           the ``headers`` of each event received, by event id (the last
  delivery's: the trace context the inbox was handed)
- ``GET /health/``            200
"""

from __future__ import annotations

import argparse
import hmac
import json
import re
import sqlite3
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LISTENING = re.compile(r"^inbox standin listening on http://127\.0\.0\.1:(?P<port>\d+)$", re.M)
SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (consumer TEXT, event_id TEXT, PRIMARY KEY (consumer, event_id));
CREATE TABLE IF NOT EXISTS entity_version (aggregatetype TEXT, aggregateid TEXT,
    version INTEGER, origin TEXT, PRIMARY KEY (aggregatetype, aggregateid));
CREATE TABLE IF NOT EXISTS applied (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT,
    type TEXT, key TEXT, version INTEGER, at REAL);
"""


class Inbox:
    def __init__(self, name: str, db: str, token: str) -> None:
        self.name, self.token, self.mode = name, token, "ok"
        self.headers: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.db = sqlite3.connect(db, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # a SIGKILL loses nothing committed
        self.db.executescript(SCHEMA)

    def apply(self, event: dict[str, Any]) -> dict[str, str]:
        result = {"id": str(event.get("id"))}
        self.headers[result["id"]] = event.get("headers")
        payload = event.get("payload")
        if not isinstance(payload, dict) or "poison" in payload:
            reason = payload.get("poison") if isinstance(payload, dict) else "no payload"
            return {**result, "outcome": "rejected", "reason": str(reason)}
        key = (event["aggregatetype"], event["aggregateid"])
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                outcome = self._decide(event, key)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return {**result, "outcome": outcome}

    def _decide(self, event: dict[str, Any], key: tuple[str, str]) -> str:
        seen = self.db.execute(
            "SELECT 1 FROM inbox WHERE consumer = ? AND event_id = ?", (self.name, event["id"])
        ).fetchone()
        if seen:
            return "duplicate"
        self.db.execute("INSERT INTO inbox VALUES (?, ?)", (self.name, event["id"]))
        if event["origin"] == self.name:
            return "ignored"
        stored = self.db.execute(
            "SELECT version, origin FROM entity_version"
            " WHERE aggregatetype = ? AND aggregateid = ?",
            key,
        ).fetchone()
        if stored is not None and (event["version"], event["origin"]) <= tuple(stored):
            return "stale"
        self.db.execute(
            "INSERT OR REPLACE INTO entity_version VALUES (?, ?, ?, ?)",
            (*key, event["version"], event["origin"]),
        )
        self.db.execute(
            "INSERT INTO applied (event_id, type, key, version, at) VALUES (?, ?, ?, ?, ?)",
            (event["id"], event["type"], ":".join(key), event["version"], time.time()),
        )
        return "applied"

    def applied(self, *, at: bool = False) -> list[list[Any]]:
        columns = "event_id, type, key, version" + (", at" if at else "")
        with self.lock:
            rows = self.db.execute(f"SELECT {columns} FROM applied ORDER BY seq")
            return [list(row) for row in rows]


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, document: object) -> None:
        body = json.dumps(document).encode() if not isinstance(document, bytes) else document
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        self._answer(status, {"error": {"status": status, "code": code, "message": message}})

    def do_GET(self) -> None:
        if self.path == "/health/":
            self._answer(200, {"status": "ok"})
        elif self.path == "/_applied":
            self._answer(200, self.server.inbox.applied())
        elif self.path == "/_headers":
            self._answer(200, self.server.inbox.headers)
        elif self.path == "/_applied_at":
            self._answer(200, self.server.inbox.applied(at=True))
        else:
            self._error(404, "not_found", f"no {self.path}")

    def do_POST(self) -> None:
        inbox = self.server.inbox
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/_control/mode/"):
            inbox.mode = self.path.rsplit("/", 1)[1]
            self._answer(200, {"mode": inbox.mode})
            return
        if self.path != "/internal/events/":
            self._error(404, "not_found", f"no {self.path}")
            return
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {inbox.token}".encode()):
            self._error(401, "authentication_failed", "bad events token")
            return
        if inbox.mode == "fail":
            self._error(503, "service_unavailable", "failing on purpose")
            return
        if inbox.mode == "garbage":
            self._answer(200, b"<html>not results</html>")
            return
        if inbox.mode == "slow":
            time.sleep(0.2)
        try:
            events = json.loads(body)["events"]
        except (ValueError, KeyError, TypeError):
            self._error(400, "parse_error", "body is not {'events': [...]}")
            return
        self._answer(200, {"results": [inbox.apply(event) for event in events]})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    inbox: Inbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = Server(("127.0.0.1", args.port), Handler)
    server.inbox = Inbox(args.name, args.db, args.token)
    print(f"inbox standin listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
