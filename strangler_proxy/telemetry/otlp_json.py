"""Finished spans as an OTLP/JSON ``ExportTraceServiceRequest`` (pure), the spec's encoding.

The same dict the OpenTelemetry encoder and protobuf's JSON printer give
(:func:`reference_request`, which the tests hold this module to), built directly: the
protobuf round trip cost four times as much CPU per span, on the exporter's thread, under
the GIL that the proxy's requests need. As the OTLP/JSON spec says: ids as lowercase hex,
enums as integers, 64-bit integers and times as strings, default values left out.

>>> any_value(3), any_value(float("nan")), any_value(b"\\x00")
({'intValue': '3'}, {'doubleValue': 'NaN'}, {'bytesValue': 'AA=='})
>>> any_value(("a", True))
{'arrayValue': {'values': [{'stringValue': 'a'}, {'boolValue': True}]}}
>>> key_values({"http.response.status_code": 200, "bad": object()})
[{'key': 'http.response.status_code', 'value': {'intValue': '200'}}]
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext

_HAS_IS_REMOTE, _IS_REMOTE = 0x100, 0x200  # SpanFlags: the parent's remoteness is known / true
Json = dict[str, Any]


def any_value(value: Any) -> Json:
    """An attribute value as an OTLP ``AnyValue``; TypeError for a type OTLP cannot carry."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        if math.isfinite(value):
            return {"doubleValue": value}
        # what protobuf's JSON printer writes (bare NaN is not JSON)
        return {
            "doubleValue": "NaN" if math.isnan(value) else "-Infinity" if value < 0 else "Infinity"
        }
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, Sequence):
        return {"arrayValue": _put({}, "values", [any_value(item) for item in value])}
    if isinstance(value, Mapping):
        return {"kvlistValue": _put({}, "values", key_values(value, strict=True))}
    raise TypeError(f"an attribute of type {type(value).__name__} has no OTLP encoding")


def key_values(attributes: Mapping[str, Any] | None, *, strict: bool = False) -> list[Json]:
    """Attributes as OTLP ``KeyValue`` pairs; one that cannot be encoded is left out."""
    pairs = []
    for key, value in (attributes or {}).items():
        try:
            pairs.append({"key": str(key), "value": any_value(value)})
        except TypeError:
            if strict:
                raise
    return pairs


def _put(target: Json, name: str, value: Any) -> Json:
    if value:  # protobuf's JSON leaves default values out
        target[name] = value
    return target


def _flags(context: SpanContext | None) -> int:
    return _HAS_IS_REMOTE | (_IS_REMOTE if context is not None and context.is_remote else 0)


def span_json(span: ReadableSpan) -> Json:
    context = span.get_span_context()
    assert context is not None  # a finished SDK span always has one
    out: Json = {"traceId": f"{context.trace_id:032x}", "spanId": f"{context.span_id:016x}"}
    if context.trace_state:
        _put(out, "traceState", ",".join(f"{k}={v}" for k, v in context.trace_state.items()))
    if span.parent is not None:
        out["parentSpanId"] = f"{span.parent.span_id:016x}"
    _put(out, "name", span.name)
    out["kind"] = span.kind.value + 1  # the API's INTERNAL is 0, OTLP's is 1 (0: unspecified)
    _put(out, "startTimeUnixNano", str(span.start_time or ""))
    _put(out, "endTimeUnixNano", str(span.end_time or ""))
    _put(out, "attributes", key_values(span.attributes))
    _put(out, "droppedAttributesCount", span.dropped_attributes)
    events = []
    for event in span.events:
        encoded = _put({}, "name", event.name)
        _put(encoded, "timeUnixNano", str(event.timestamp or ""))
        _put(encoded, "attributes", key_values(event.attributes))
        events.append(_put(encoded, "droppedAttributesCount", event.dropped_attributes))
    _put(out, "events", events)
    _put(out, "droppedEventsCount", span.dropped_events)
    links = []
    for link in span.links:
        encoded = {
            "traceId": f"{link.context.trace_id:032x}",
            "spanId": f"{link.context.span_id:016x}",
        }
        _put(encoded, "attributes", key_values(link.attributes))
        _put(encoded, "droppedAttributesCount", link.dropped_attributes)
        links.append(encoded | {"flags": _flags(link.context)})
    _put(out, "links", links)
    _put(out, "droppedLinksCount", span.dropped_links)
    status = span.status
    out["status"] = _put(_put({}, "code", status.status_code.value), "message", status.description)
    out["flags"] = _flags(span.parent)
    return out


def _scope(scope: InstrumentationScope | None) -> Json:
    if scope is None:
        return {}
    out: Json = _put({}, "name", scope.name)
    _put(out, "version", scope.version)
    return _put(out, "attributes", key_values(scope.attributes))


def request(spans: Sequence[ReadableSpan]) -> Json:
    """The ``ExportTraceServiceRequest``: spans grouped by resource, then by scope."""
    grouped: dict[Resource, dict[InstrumentationScope | None, list[Json]]] = {}
    for span in spans:
        scopes = grouped.setdefault(span.resource, {})
        scopes.setdefault(span.instrumentation_scope or None, []).append(span_json(span))
    resource_spans = []
    for resource, scopes in grouped.items():
        scope_spans = [
            _put(
                {"scope": _scope(scope), "spans": encoded}, "schemaUrl", scope and scope.schema_url
            )
            for scope, encoded in scopes.items()
        ]
        encoded_resource = _put({}, "attributes", key_values(resource.attributes))
        item = {"resource": encoded_resource, "scopeSpans": scope_spans}
        resource_spans.append(_put(item, "schemaUrl", resource.schema_url))
    return {"resourceSpans": resource_spans}


def reference_request(spans: Sequence[ReadableSpan]) -> Json:
    """The same request the slow, sure way: OpenTelemetry's encoder, protobuf's JSON printer.

    protobuf prints ``bytes`` as base64; the ids are turned into hex as OTLP/JSON says.
    """
    from google.protobuf import json_format
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    printed: Json = json_format.MessageToDict(encode_spans(spans), use_integers_for_enums=True)
    for resource_spans in printed.get("resourceSpans", ()):
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                for holder in (span, *span.get("links", ())):
                    for name in ("traceId", "spanId", "parentSpanId"):
                        if holder.get(name):
                            holder[name] = base64.b64decode(holder[name]).hex()
    return printed
