"""The stack's services in the flag store's registry, before the proxy starts (it loads the
registry then and health-checks each instance from its first second):

``python -m strangler_proxy.stack.register STORE_URL NAME=URL ...``

A service whose instances include its URL already is kept as it is (instances a user added
stay); otherwise its instance list becomes that URL, in the audit log as ``strangler up``.

>>> import tempfile
>>> folder = tempfile.TemporaryDirectory()
>>> store = f"sqlite:///{folder.name}/flags.sqlite3"
>>> open_store(store, create=True).close()
>>> main([store, "catalog=http://127.0.0.1:8101"])
catalog: registered http://127.0.0.1:8101
0
>>> main([store, "catalog=http://127.0.0.1:8101"])
catalog: kept http://127.0.0.1:8101
0
>>> main([store, "catalog"])
usage: python -m strangler_proxy.stack.register STORE_URL NAME=URL ...
2
>>> folder.cleanup()
"""

from __future__ import annotations

import sys

from strangler_proxy.store import InvalidFlag, StoreError, open_store
from strangler_proxy.store.base import redact

ACTOR = "strangler up"


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not all("=" in pair for pair in argv[1:]):
        print("usage: python -m strangler_proxy.stack.register STORE_URL NAME=URL ...")
        return 2
    url, pairs = argv[0], [pair.split("=", 1) for pair in argv[1:]]
    try:
        store = open_store(url)
        try:
            known = {spec.name: spec.instances for spec in store.services()}
            for name, instance in pairs:
                if instance in known.get(name, ()):
                    print(f"{name}: kept {', '.join(known[name])}")
                    continue
                store.register_service(name, [instance], actor=ACTOR, reason="strangler up")
                print(f"{name}: registered {instance}")
        finally:
            store.close()
    except (StoreError, InvalidFlag) as exc:
        print(f"cannot register the services in {redact(url)}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
