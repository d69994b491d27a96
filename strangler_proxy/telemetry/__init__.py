"""Traces, logs and the files the embedded default writes them to (issue 11).

Every process of the toolkit and of the stack follows OpenTelemetry's standard variables
(``OTEL_TRACES_EXPORTER``, ``OTEL_EXPORTER_OTLP_*``, ``OTEL_TRACES_SAMPLER[_ARG]``,
``OTEL_SERVICE_NAME``, ``OTEL_SDK_DISABLED``); the embedded default writes spans as OTLP JSON
lines under ``var/traces/`` (:mod:`.files`), which :mod:`.traces` reads back into waterfalls.
"""
