"""Traces with OpenTelemetry, when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set.

``start_tracing`` runs once per serving process: it imports OpenTelemetry (nothing else does, so a
server without traces never loads it), sends spans to the collector over OTLP/HTTP from a thread of
the SDK's (``BatchSpanProcessor``: never on the IOLoop), and instruments Tornado, which makes a server
span of each request (named by the route pattern, ``POST /``, ``GET /photos/{photo_id}``) and a client
span of each ``AsyncHTTPClient`` fetch (the pool's keys, the hosted UI's token endpoint).

Cognito calls get a span here, in ``CognitoClient``'s one call path: botocore's instrumentation
(``BotocoreInstrumentor``) patches botocore's own client, which aiobotocore's async client replaces,
so it sees none of our calls; the package's ``AiobotocoreInstrumentor`` does, but it puts botocore's
error text in the span's status, and botocore's parameter checks quote the value they refuse (a
password sent as a number is in that text). Ours are named and described as botocore's instrumentation
names them (``Cognito Identity Provider.InitiateAuth``; rpc.system, rpc.service, rpc.method,
cloud.region, server.address, aws.request_id, http.status_code), and a failed call's status carries our
error code only. One span covers the call with its retries (``retry_attempts``).

Nothing secret goes into an attribute: no call's parameters, no token, no code, no email. URLs lose
their query string before export (``QueryStrippingExporter``): /callback's holds an authorization
code, and Tornado's instrumentation records the request's whole URI. The server span carries the
request id (``request_id``), as the access log does.
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from typing import Any, Mapping, Sequence

from server.config import Config

log = logging.getLogger("server.tracing")

SERVICE_NAME = "cognito-backend"
REQUEST_ID_ATTRIBUTE = "request_id"
# Attributes whose value is a URL or a request target: exported without the query string.
URL_ATTRIBUTES = frozenset({"http.url", "http.target", "url.full"})
# Attributes that are nothing but a query string: not exported at all.
QUERY_ATTRIBUTES = frozenset({"url.query"})
COGNITO_SERVICE_ID = "Cognito Identity Provider"  # botocore's service id for cognito-idp

# This process's tracer while traces are on, else None: the hooks test it and do nothing.
tracer: Any = None


def without_query(value: str) -> str:
    return value.split("?", 1)[0]


def _stripped(span: Any) -> Any:
    """``span`` (a ReadableSpan) with its URL attributes cut before their query strings."""
    from opentelemetry.sdk.trace import ReadableSpan

    attributes = span.attributes or {}
    if not any(
        key in QUERY_ATTRIBUTES or (key in URL_ATTRIBUTES and "?" in str(value)) for key, value in attributes.items()
    ):
        return span
    cleaned = {
        key: without_query(value) if key in URL_ATTRIBUTES and isinstance(value, str) else value
        for key, value in attributes.items()
        if key not in QUERY_ATTRIBUTES
    }
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=cleaned,
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class Tracing:
    """What ``start_tracing`` set up: ``stop`` sends what is left and undoes the instrumentation."""

    def __init__(self, provider: Any, instrumentor: Any):
        self.provider = provider
        self.instrumentor = instrumentor

    def stop(self) -> None:
        global tracer
        tracer = None
        self.instrumentor.uninstrument()
        self.provider.shutdown()  # the batch's last spans are sent now


def start_tracing(config: Config, exporter: Any = None) -> Tracing | None:
    """Traces on, when ``config.traces_endpoint`` is set (or an ``exporter`` is given: the tests'
    in-memory one, whose spans are then handed over as each ends); None when traces are off."""
    global tracer
    if exporter is None and config.traces_endpoint is None:
        return None
    from opentelemetry.instrumentation.tornado import TornadoInstrumentor
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter

    class QueryStrippingExporter(SpanExporter):
        """Hands spans on to ``inner`` with their URLs' query strings cut off."""

        def __init__(self, inner: SpanExporter):
            self.inner = inner

        def export(self, spans: Sequence[Any]) -> Any:
            return self.inner.export([_stripped(span) for span in spans])

        def shutdown(self) -> None:
            self.inner.shutdown()

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            return self.inner.force_flush(timeout_millis)

    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the name given here.
    resource = Resource({"service.name": SERVICE_NAME}).merge(OTELResourceDetector().detect())
    provider = TracerProvider(resource=resource)
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # It reads the endpoint, headers, timeout and compression from the OTEL_EXPORTER_OTLP_* variables.
        provider.add_span_processor(BatchSpanProcessor(QueryStrippingExporter(OTLPSpanExporter())))
        log.info("Traces go to %s over OTLP/HTTP.", config.traces_endpoint)
    else:
        provider.add_span_processor(SimpleSpanProcessor(QueryStrippingExporter(exporter)))
    instrumentor = TornadoInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    tracer = provider.get_tracer("server.cognito")
    return Tracing(provider, instrumentor)


def note_request_id(request_id: str) -> None:
    """Put the request id on the request's span (Tornado's instrumentation made it current)."""
    from opentelemetry import trace

    trace.get_current_span().set_attribute(REQUEST_ID_ATTRIBUTE, request_id)


def cognito_span(operation: str, config: Config) -> Any:
    """A started client span of one Cognito call, named and described as botocore's instrumentation
    does; the call's own parameters are never read."""
    from opentelemetry.trace import SpanKind

    attributes: dict[str, Any] = {
        "rpc.system": "aws-api",
        "rpc.service": COGNITO_SERVICE_ID,
        "rpc.method": operation,
        "cloud.region": config.region,
    }
    endpoint = urllib.parse.urlsplit(config.endpoint_url or f"https://cognito-idp.{config.region}.amazonaws.com")
    if endpoint.hostname:
        attributes["server.address"] = endpoint.hostname
        attributes["server.port"] = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    return tracer.start_span(
        f"{COGNITO_SERVICE_ID}.{operation}", kind=SpanKind.CLIENT, attributes=attributes, start_time=time.time_ns()
    )


def end_cognito_span(span: Any, outcome: str, answer: Mapping[str, Any] | None, attempts: int) -> None:
    """End a Cognito call's span: Cognito's request id and HTTP status when it answered, the
    retries, and on failure our error code (never Cognito's or botocore's text)."""
    from opentelemetry.trace import Status, StatusCode

    metadata = (answer or {}).get("ResponseMetadata") or {}
    request_id = metadata.get("RequestId") or (metadata.get("HTTPHeaders") or {}).get("x-amzn-requestid")
    if request_id:
        span.set_attribute("aws.request_id", str(request_id))
    if metadata.get("HTTPStatusCode"):
        span.set_attribute("http.status_code", int(metadata["HTTPStatusCode"]))
    span.set_attribute("retry_attempts", max(0, attempts - 1))
    if outcome != "ok":
        span.set_attribute("error.type", outcome)
        span.set_status(Status(StatusCode.ERROR, outcome))
    span.end()
