"""The chassis: what every Django process of the shop needs besides its domain (JSON logs,
Prometheus metrics, OpenTelemetry traces), written once (the Microservice Chassis pattern).

The extracted services are built on it, and the monolith takes it too: both sides of a flip
are measured the same way (the same metric names, buckets, log fields and spans), so a
latency or error figure of a service compares with the monolith's. It knows no service and
not the monolith; import-linter keeps it so.
"""
