"""Traces over real HTTP, caught by OpenTelemetry's own in-memory exporter: a request is a server span
named by its route pattern, carrying its request id; each Cognito call is a client span under it,
described with botocore's instrumentation's attribute names; no span holds a secret."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from server import tracing
from server.cognito import secret_hash
from tests.support import CODE, PASSWORD, Client, serve_app


@pytest.fixture
def traced(config):
    """A server of its own with traces on, and the exporter its spans go to; traces off afterwards."""
    exporter = InMemorySpanExporter()
    traces = tracing.start_tracing(config, exporter=exporter)
    server = serve_app(config)
    yield Client(server.url), exporter
    server.stop()
    traces.stop()
    assert tracing.tracer is None


def finished(exporter: InMemorySpanExporter, kept) -> list:
    """The finished spans ``kept`` keeps, once there are some: a request's span ends once its answer
    is sent, so a moment after the client has it."""
    deadline = time.monotonic() + 10
    while not (spans := [span for span in exporter.get_finished_spans() if kept(span)]):
        assert time.monotonic() < deadline, "no such span was finished"
        time.sleep(0.02)
    return spans


def spans_of(exporter: InMemorySpanExporter, trace_id: int) -> list:
    return [span for span in exporter.get_finished_spans() if span.context.trace_id == trace_id]


def every_attribute_value(exporter: InMemorySpanExporter) -> str:
    """Every attribute, event and status of every span, as one text to look for secrets in."""
    return json.dumps(
        [
            {
                "name": span.name,
                "attributes": dict(span.attributes or {}),
                "events": [dict(event.attributes or {}) for event in span.events],
                "status": span.status.description,
            }
            for span in exporter.get_finished_spans()
        ],
        default=str,
    )


def test_a_sign_in_is_a_server_span_with_a_cognito_span_under_it(traced, config):
    client, exporter = traced
    email = f"traced-{uuid.uuid4().hex[:8]}@example.com"
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    assert client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200
    exporter.clear()
    reply = client.call("signIn", user=email, **{"pass": PASSWORD})
    assert reply.status == 200

    server_spans = finished(
        exporter,
        lambda span: (
            span.kind == SpanKind.SERVER and span.attributes.get("request_id") == reply.headers["X-Request-Id"]
        ),
    )
    assert len(server_spans) == 1
    request = server_spans[0]
    assert request.name == "POST /"
    assert request.attributes["http.method"] == "POST"
    assert request.attributes["http.status_code"] == 200

    children = [
        span
        for span in spans_of(exporter, request.context.trace_id)
        if span.parent is not None and span.parent.span_id == request.context.span_id
    ]
    assert [span.name for span in children] == ["Cognito Identity Provider.InitiateAuth"]
    cognito = children[0]
    assert cognito.kind == SpanKind.CLIENT
    attributes = dict(cognito.attributes)
    assert attributes["rpc.system"] == "aws-api"
    assert attributes["rpc.service"] == "Cognito Identity Provider"
    assert attributes["rpc.method"] == "InitiateAuth"
    assert attributes["cloud.region"] == config.region
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["http.status_code"] == 200
    assert attributes["retry_attempts"] == 0
    assert attributes["aws.request_id"]  # the local Cognito's x-amzn-RequestId, as Cognito sends one
    assert cognito.status.status_code == StatusCode.UNSET
    assert cognito.start_time >= request.start_time and cognito.end_time <= request.end_time

    answer = reply.json
    secrets = [
        email,
        PASSWORD,
        answer["access_token"],
        answer["id_token"],
        config.client_secret,
        secret_hash(email, config.client_id, config.client_secret),
        *client.cookies.values(),
    ]
    text = every_attribute_value(exporter)
    for secret in secrets:
        assert secret not in text


def test_a_refused_call_carries_our_code_and_no_cognito_text(traced):
    client, exporter = traced
    email = f"traced-{uuid.uuid4().hex[:8]}@example.com"
    wrong = "Wrong-password-that-is-secret-1"
    assert client.call("signIn", user=email, **{"pass": wrong}).status == 401
    cognito = [span for span in exporter.get_finished_spans() if span.name.endswith(".InitiateAuth")]
    assert len(cognito) == 1
    assert cognito[0].status.status_code == StatusCode.ERROR
    assert cognito[0].status.description == "NotAuthorized"
    assert cognito[0].attributes["error.type"] == "NotAuthorized"
    assert cognito[0].attributes["http.status_code"] == 400
    text = every_attribute_value(exporter)
    for secret in (email, wrong, "Incorrect username or password"):
        assert secret not in text


def test_query_strings_are_not_exported(traced):
    """/callback's query holds an authorization code: no span keeps it, nor the state."""
    client, exporter = traced
    client.request("GET", "/callback?code=secret-authorization-code&state=secret-state-value")
    client.request("GET", "/login?next=/photos")
    finished(exporter, lambda span: span.kind == SpanKind.SERVER and span.attributes.get("http.target") == "/login")
    targets = {
        span.attributes.get("http.target") for span in exporter.get_finished_spans() if span.kind == SpanKind.SERVER
    }
    assert {"/callback", "/login"} <= targets
    text = every_attribute_value(exporter)
    for secret in ("secret-authorization-code", "secret-state-value", "next="):
        assert secret not in text


def test_traces_are_off_without_an_endpoint(config):
    assert config.traces_endpoint is None
    assert tracing.start_tracing(config) is None
    assert tracing.tracer is None
