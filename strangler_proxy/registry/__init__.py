"""The service registry's data model: a service is a name and one or more instance URLs.

Pure validation and parsing; the flag store persists the registry, the balancer (data
plane) health-checks and load-balances its instances.

>>> ServiceSpec.create("catalog", ["http://127.0.0.1:8101/", "http://127.0.0.1:8102"]).instances
('http://127.0.0.1:8101', 'http://127.0.0.1:8102')
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from strangler_proxy.registry.address import HTTPS_REFUSED, InstanceAddress, Origin, path_refused
from strangler_proxy.routing import SERVICE_NAME, InvalidFlag


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    instances: tuple[str, ...]  # origins, normalised: http://host[:port], no trailing "/"

    @classmethod
    def create(cls, name: object, urls: object) -> ServiceSpec:
        """Validate raw input (e.g. JSON); errors name the field: ``name`` or ``urls``."""
        if not isinstance(name, str) or not SERVICE_NAME.match(name) or name == "monolith":
            raise InvalidFlag(
                "name",
                f"bad service name {name!r} (lower-case letters, digits and _.-; not 'monolith')",
            )
        if isinstance(urls, str) or not isinstance(urls, Iterable):
            raise InvalidFlag("urls", f"must be a list of instance URLs, got {urls!r}")
        instances = tuple(normalise_instance_url(u) for u in urls)
        if not instances:
            raise InvalidFlag("urls", "a service needs at least one instance URL")
        if len(set(instances)) != len(instances):
            raise InvalidFlag("urls", f"duplicate instance URL in {list(instances)}")
        return cls(name, instances)

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "instances": list(self.instances)}


def normalise_instance_url(url: object) -> str:
    """``http://host[:port]`` with a lower-case host and no trailing ``/``; an
    ``InvalidFlag`` on ``urls`` for anything the engines could not reach (https, a path)."""
    if not isinstance(url, str):
        raise InvalidFlag("urls", f"an instance URL must be a string, got {url!r}")
    try:
        address = InstanceAddress.parse(url)
    except ValueError as exc:
        raise InvalidFlag("urls", f"bad instance URL {url!r}: {exc}") from exc
    parts = urlsplit(url.strip())
    host = address.origin.host
    host = f"[{host}]" if ":" in host else host
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return f"http://{netloc}"


def load_services_file(path: Path) -> list[ServiceSpec]:
    """Services from a TOML or JSON file: ``{"services": {"catalog": ["http://..."]}}``.

    TOML: ``[services]`` then ``catalog = ["http://127.0.0.1:8101"]``.
    """
    try:
        text = path.read_text()
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise InvalidFlag("services", f"cannot read {path}: {exc}") from exc
    services = data.get("services") if isinstance(data, Mapping) else None
    if not isinstance(services, Mapping):
        raise InvalidFlag("services", f"{path}: expected a 'services' table of name -> URLs")
    return [ServiceSpec.create(name, urls) for name, urls in services.items()]


__all__ = [
    "HTTPS_REFUSED",
    "SERVICE_NAME",
    "InstanceAddress",
    "Origin",
    "ServiceSpec",
    "load_services_file",
    "normalise_instance_url",
    "path_refused",
]
