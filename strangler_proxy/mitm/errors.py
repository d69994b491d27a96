"""The proxy's own error answers in the mitmproxy engine, in the toolkit's one envelope
(``strangler_proxy.envelope``), mitmproxy's own included.

mitmproxy writes its own error answers (a dead monolith, a malformed request) with an HTML
body. Both places are replaced (non-public, checked against the pinned 11.0.2): the error
for a flow goes out as the addon's error hook made it (``answer_instead``; keyed by the
client connection: one request at a time on HTTP/1), any other in the envelope
(``make_error_response``). ``OwnErrors`` is the addon forgetting an answer no error came for.
"""

from __future__ import annotations

from typing import Any

from mitmproxy import connection, http
from mitmproxy.net.http import http1
from mitmproxy.proxy.layers.http import _http1

from strangler_proxy import envelope
from strangler_proxy.policy import Attempt, Failure, Tried, Verdict, judge


def answer(verdict: Verdict, request_id: str | None, close: bool = False) -> http.Response:
    """The proxy's error answer, in the envelope."""
    status = verdict.status or 502
    body = envelope.error_body(status, verdict.message, code=verdict.code, request_id=request_id)
    headers = {"Content-Type": "application/json"}
    if close:
        headers["Connection"] = "close"
    if request_id is not None:
        headers["X-Request-ID"] = request_id
    return http.Response.make(status, body, headers)


def failed(message: str, tried: Tried | None) -> Attempt:
    """mitmproxy's words for a failed exchange, in the policy's terms."""
    refused = "refused" in message.lower() or "connect call failed" in message.lower()
    return Attempt(failure=Failure.REFUSED if refused else Failure.BROKEN, detail=message,
                   tried=tried)  # fmt: skip


def answer_instead(client_id: str, response: http.Response) -> None:
    """The error answer mitmproxy writes next on the client connection ``client_id``."""
    _OWN_ERRORS[client_id] = bytes(http1.assemble_response(response))


class OwnErrors:
    """The addon forgetting an error answer mitmproxy never asked for."""

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if flow.is_replay != "request":  # not a shadow copy: a new request, no error pending
            _OWN_ERRORS.pop(flow.client_conn.id, None)

    def client_disconnected(self, client: connection.Client) -> None:
        _OWN_ERRORS.pop(client.id, None)


_OWN_ERRORS: dict[str, bytes] = {}  # client connection id -> the whole answer
_mitm_send = _http1.Http1Server.send


def _send_to_client(self: Any, event: Any) -> Any:
    """``Http1Server.send``; an error for a flow goes out as the error hook made it."""
    own = None
    if isinstance(event, _http1.ResponseProtocolError):
        own = _OWN_ERRORS.pop(self.conn.id, None)
    if (
        own is None
        or event.code == _http1.status_codes.NO_RESPONSE
        or self.response
        or not self.conn.state & _http1.ConnectionState.CAN_WRITE
    ):
        yield from _mitm_send(self, event)
        return
    yield _http1.commands.SendData(self.conn, own)
    yield _http1.commands.CloseConnection(self.conn)


def _error_response(status_code: int, message: str = "") -> bytes:
    if status_code == 502:  # not for a flow: no request, so none to fall back with either
        verdict = judge("GET", failed(message, None), fallback=False)
        message, code = verdict.message, verdict.code
    else:
        code = None
    body = envelope.error_body(status_code, message or "error", code=code)
    headers = {"Content-Type": "application/json", "Connection": "close"}
    return bytes(http1.assemble_response(http.Response.make(status_code, body, headers)))


# replaced once, when this module is first imported (mitmproxy reloading the addon script
# imports it again from sys.modules: no second wrapping)
_http1.Http1Server.send = _send_to_client
_http1.make_error_response = _error_response
