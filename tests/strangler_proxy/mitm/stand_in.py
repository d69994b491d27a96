"""A stand-in service for the proxy tests: answers any request with who it is, and
remembers what it received (``GET /__received__``). A ``fail`` query parameter makes it
fail after reading the request: ``fail=500`` answers 500, ``fail=drop`` closes the
connection without answering, ``fail=slow`` answers after 3 s.

    python stand_in.py NAME PORT      # PORT 0: the kernel picks; it prints
                                      # "stand-in NAME listening on http://127.0.0.1:PORT"
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

NAME = sys.argv[1] if len(sys.argv) > 1 else "service"
RECEIVED: list[dict[str, object]] = []
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode(errors="replace") if length else ""
        if self.path == "/__received__":
            with LOCK:
                payload = json.dumps(RECEIVED).encode()
        else:
            if self.path != "/health/":
                with LOCK:
                    RECEIVED.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "body": body,
                            "headers": [name.lower() for name in self.headers],
                        }
                    )
            payload = json.dumps({"served_by": NAME, "path": self.path}).encode()
        fail = parse_qs(urlsplit(self.path).query).get("fail", [""])[0]
        if fail == "drop":
            self.close_connection = True
            return
        if fail == "slow":
            time.sleep(3)
        self.send_response(500 if fail == "500" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
    print(f"stand-in {NAME} listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()
