"""Where a service instance (or the monolith) is: the one parser of upstream URLs.

Every engine, the balancer and the registry read instance URLs here, so they cannot
disagree about what a URL means. Upstreams speak plain HTTP: an ``https://`` instance is
refused with the reason, at registration, rather than accepted and never reached.

>>> InstanceAddress.parse("http://127.0.0.1:8101/catalog/")
InstanceAddress(origin=Origin(host='127.0.0.1', port=8101), prefix='/catalog')
>>> InstanceAddress.parse("http://[::1]:81").url
'http://[::1]:81'
>>> InstanceAddress.parse("https://catalog.internal")  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: https instances are not supported: the proxy speaks plain HTTP to its upstreams; ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

HTTPS_REFUSED = (
    "https instances are not supported: the proxy speaks plain HTTP to its upstreams; "
    "terminate TLS on the service's host (a sidecar) and register its http:// address"
)


class Origin(NamedTuple):
    """Where a request goes (a tuple: hashed in C, it keys the connection pool)."""

    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Origin:
        """An ``http://host[:port]`` URL's origin (a path is not allowed here)."""
        try:
            address = InstanceAddress.parse(url)
        except ValueError as exc:
            if str(exc) == HTTPS_REFUSED:
                raise
            raise ValueError(f"upstream URL must be http://host[:port], got {url!r}") from exc
        if address.prefix:
            raise ValueError(f"upstream URL must be http://host[:port], got {url!r}")
        return address.origin

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@dataclass(frozen=True)
class InstanceAddress:
    """An upstream's origin and the path prefix put before every request target."""

    origin: Origin
    prefix: str = ""  # "" or "/a/b": no trailing "/"

    @classmethod
    def parse(cls, url: str) -> InstanceAddress:
        """``http://host[:port][/prefix]``; a ValueError says what is wrong."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise ValueError(str(exc)) from exc
        if parts.scheme == "https":
            raise ValueError(HTTPS_REFUSED)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("need http://host[:port]")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("no credentials, query or fragment")
        return cls(Origin(parts.hostname, port or 80), parts.path.rstrip("/"))

    @property
    def url(self) -> str:
        """The normalised URL (explicit port, no trailing ``/``)."""
        return f"{self.origin}{self.prefix}"


__all__ = ["HTTPS_REFUSED", "InstanceAddress", "Origin"]
