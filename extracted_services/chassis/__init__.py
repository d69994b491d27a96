"""The services' chassis: what every extracted service needs besides its domain (JSON logs,
Prometheus metrics, OpenTelemetry traces), written once (the Microservice Chassis pattern).
It knows no service; the services know it."""
