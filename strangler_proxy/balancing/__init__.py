"""Service instances for the data plane: active health checks, least-in-flight balancing and
passive outlier detection (a pure state machine in ``outlier``)."""

from strangler_proxy.balancing.outlier import OutlierDetector, OutlierPolicy
from strangler_proxy.balancing.pool import Instance, ServicePools

__all__ = ["Instance", "OutlierDetector", "OutlierPolicy", "ServicePools"]
