"""The proposal's vocabulary: immutable records the clustering, ownership and plan produce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: The name of the pseudo-service holding shared, data-less utility code (a library, not a
#: service: it is copied or published, never extracted).
SHARED = "shared"


@dataclass(frozen=True)
class Service:
    """A candidate service: the modules, tables and routes that would move together."""

    name: str
    modules: tuple[str, ...]
    models: tuple[str, ...]
    endpoints: tuple[str, ...]

    @property
    def shared(self) -> bool:
        return self.name == SHARED


@dataclass(frozen=True)
class Access:
    """One module's reads or writes of one model, with the call sites."""

    module: str
    service: str
    sites: tuple[str, ...]


@dataclass(frozen=True)
class Ownership:
    """Who owns a table: the service that writes it (the defining module breaks ties)."""

    model: str
    service: str | None  # None: defined outside the analyzed code and never written in it
    defined_in: str | None
    writers: tuple[Access, ...]
    readers: tuple[Access, ...]

    @property
    def writing_services(self) -> tuple[str, ...]:
        """The services writing the table (the shared library is not a service)."""
        return tuple(sorted({w.service for w in self.writers} - {SHARED}))

    @property
    def library_writes(self) -> tuple[str, ...]:
        """Sites where the shared library writes the table."""
        return tuple(site for w in self.writers if w.service == SHARED for site in w.sites)

    @property
    def contested(self) -> bool:
        return len(self.writing_services) > 1


@dataclass(frozen=True)
class ForeignKeyCut:
    """A relation crossing the cut: becomes a plain id (plus an API lookup) after extraction."""

    source: str
    field: str
    target: str
    relation: str


@dataclass(frozen=True)
class CallCut:
    """Code crossing the cut (an import, a read or write of a foreign table, a signal)."""

    kind: str  # "import" | "read" | "write" | "signal"
    direction: str  # "inbound" (others depend on the service) | "outbound"
    source: str  # dotted module
    target: str  # dotted module or model label
    sites: tuple[str, ...]


@dataclass(frozen=True)
class SagaCut:
    """A ``transaction.atomic`` block spanning this service and others: becomes a saga."""

    module: str
    function: str
    site: str
    models: tuple[str, ...]
    services: tuple[str, ...]


@dataclass(frozen=True)
class RouteCut:
    """An endpoint to put behind the proxy, routed to the new service."""

    pattern: str
    methods: tuple[str, ...]
    view: str


@dataclass(frozen=True)
class ExtractionStep:
    """One step of the extraction order, with its cost and the concrete cuts it takes."""

    rank: int
    service: str
    cost: float
    inbound_coupling: int
    foreign_writes: int
    crossing_fks: int
    endpoint_surface: int
    foreign_keys: tuple[ForeignKeyCut, ...]
    api_calls: tuple[CallCut, ...]
    sagas: tuple[SagaCut, ...]
    routes: tuple[RouteCut, ...]


@dataclass(frozen=True)
class ServiceEdge:
    source: str
    target: str
    weight: float


@dataclass(frozen=True)
class ServiceCycles:
    """Dependency cycles between proposed services, and the cheapest edges that break them all."""

    edges: tuple[ServiceEdge, ...]
    cycles: tuple[tuple[str, ...], ...]  # strongly connected groups of services
    break_edges: tuple[ServiceEdge, ...]  # a minimum-weight feedback arc set
    exact: bool  # False when a group was too large for the exact search


@dataclass(frozen=True)
class Proposal:
    """The whole answer: services, ownership, extraction order, cycles."""

    services: tuple[Service, ...]
    module_service: Mapping[str, str]
    model_service: Mapping[str, str]
    endpoint_service: Mapping[str, str]
    ownership: tuple[Ownership, ...]
    extraction_order: tuple[ExtractionStep, ...]
    cycles: ServiceCycles
    resolution: float
    seed: int

    @property
    def contested(self) -> tuple[Ownership, ...]:
        return tuple(o for o in self.ownership if o.contested)

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)
