"""The monolith's logs, metrics and traces (JSON lines, Prometheus, OpenTelemetry).

The same rules as the extracted services' chassis (``extracted_services/chassis``), written
again here: the monolith is the legacy under migration and imports neither the toolkit nor
the services. ``tracing`` is imported by ``wsgi.py`` only (gunicorn), so tests and
``manage.py`` commands never load the SDK.
"""
