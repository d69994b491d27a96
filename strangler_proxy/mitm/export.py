"""Print a mitmproxy flow file's client requests as JSON, for ``strangler compare``.

Runs in the mitmproxy environment (``make mitm``), where mitmproxy can read its own format:
``.venv-mitm/bin/python -m strangler_proxy.mitm.export flows.mitm``. Shadow copies the
proxy's addon made (``metadata["strangler"]`` with ``shadow_of``: the service's copy, or the
monolith asked again for noise) are left out: each client request appears once.
Output: ``[{"method", "path", "headers", "body_b64"}, ...]``.
"""

from __future__ import annotations

import base64
import json
import sys

from mitmproxy import http, io
from mitmproxy.exceptions import FlowReadException


def main(path: str) -> int:
    requests = []
    try:
        with open(path, "rb") as file:
            for flow in io.FlowReader(file).stream():
                if not isinstance(flow, http.HTTPFlow):
                    continue
                if "shadow_of" in flow.metadata.get("strangler", {}):
                    continue
                request = flow.request
                requests.append(
                    {
                        "method": request.method,
                        "path": request.path,
                        "headers": [[k, v] for k, v in request.headers.items(multi=True)],
                        "body_b64": base64.b64encode(request.raw_content or b"").decode(),
                    }
                )
    except (OSError, FlowReadException) as exc:
        print(f"cannot read flow file {path}: {exc}", file=sys.stderr)
        return 1
    json.dump(requests, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
