"""Where a service instance (or the monolith) is: the one parser of upstream URLs.

Every engine, the balancer and the registry read instance URLs here, so they cannot
disagree about what a URL means. An instance is an origin, ``http://host[:port]``: an
``https://`` instance, or one with a path, is refused with the reason at registration rather
than accepted and never reached (https) or reached at the wrong place (a path: the request's
own path already names the resource, so ``/api`` + ``/api/...`` would miss, and the health
check would ask ``/api/health/``). An instance an older version stored with either is
circuit-open in both engines: never tried, the monolith answers (``circuit-open``).

>>> InstanceAddress.parse("http://127.0.0.1:8101/")
InstanceAddress(origin=Origin(host='127.0.0.1', port=8101))
>>> InstanceAddress.parse("http://[::1]:81").url
'http://[::1]:81'
>>> InstanceAddress.parse("https://catalog.internal")  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: https instances are not supported: the proxy speaks plain HTTP to its upstreams; ...
>>> InstanceAddress.parse("http://127.0.0.1:8000/api")  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: a path in an instance URL is not supported ('/api'): register http://127.0.0.1:8000 ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

HTTPS_REFUSED = (
    "https instances are not supported: the proxy speaks plain HTTP to its upstreams; "
    "terminate TLS on the service's host (a sidecar) and register its http:// address"
)


def path_refused(path: str, origin: Origin) -> str:
    """Why an instance URL with a path is refused, and what to register instead."""
    return (
        f"a path in an instance URL is not supported ({path!r}): register {origin} and "
        "serve the routes' own paths there (the proxy forwards each request's path as it "
        "came, and checks health at the origin's /health/)"
    )


class Origin(NamedTuple):
    """Where a request goes (a tuple: hashed in C, it keys the connection pool)."""

    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Origin:
        """An ``http://host[:port]`` URL's origin (a path is not allowed here)."""
        try:
            return InstanceAddress.parse(url).origin
        except ValueError as exc:
            if str(exc) == HTTPS_REFUSED:
                raise
            raise ValueError(f"upstream URL must be http://host[:port], got {url!r}") from exc

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@dataclass(frozen=True)
class InstanceAddress:
    """Where an upstream instance is: its origin (requests keep their own path)."""

    origin: Origin

    @classmethod
    def parse(cls, url: str) -> InstanceAddress:
        """``http://host[:port]`` (a trailing ``/`` is fine); a ValueError says what is wrong."""
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
        origin = Origin(parts.hostname, port or 80)
        if parts.path.rstrip("/"):
            raise ValueError(path_refused(parts.path, origin))
        return cls(origin)

    @property
    def url(self) -> str:
        """The normalised URL (explicit port, no trailing ``/``)."""
        return str(self.origin)


__all__ = ["HTTPS_REFUSED", "InstanceAddress", "Origin", "path_refused"]
