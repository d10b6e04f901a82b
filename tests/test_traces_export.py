"""``tornado_server.py`` with OTEL_EXPORTER_OTLP_ENDPOINT set sends its spans over OTLP/HTTP: a stand-in
collector on loopback receives them, decoded with OpenTelemetry's own protobuf definitions, and the
last ones arrive when the server stops."""

from __future__ import annotations

import uuid

import tornado.web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from server.background import BackgroundServer
from tests.support import PASSWORD, Client, free_port, local_server

SERVER_CODE = "110260"


class Collector:
    """An OTLP/HTTP collector that keeps every request it receives."""

    def __init__(self):
        self.requests: list[ExportTraceServiceRequest] = []
        received = self.requests

        class Traces(tornado.web.RequestHandler):
            def post(self):
                assert self.request.headers["Content-Type"] == "application/x-protobuf"
                message = ExportTraceServiceRequest()
                message.ParseFromString(self.request.body)
                received.append(message)
                self.set_header("Content-Type", "application/x-protobuf")
                self.finish(ExportTraceServiceResponse().SerializeToString())

        async def build(port: int):
            return tornado.web.Application([(r"/v1/traces", Traces)]), None

        self.server = BackgroundServer(build).start()
        self.url = self.server.url

    def spans(self) -> list[tuple[dict, object]]:
        """(the resource's attributes, the span) for every span received."""
        return [
            ({a.key: a.value.string_value for a in resource_spans.resource.attributes}, span)
            for request in self.requests
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]


def attributes(span) -> dict:
    return {a.key: a.value.string_value or a.value.int_value for a in span.attributes}


def test_spans_reach_the_collector_over_otlp_http(tmp_path):
    collector = Collector()
    try:
        server = local_server(str(tmp_path / "cognito"), free_port(), OTEL_EXPORTER_OTLP_ENDPOINT=collector.url)
        email = f"otlp-{uuid.uuid4().hex[:8]}@example.com"
        try:
            client = Client(server.url)
            assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
            assert client.call("confirmAccount", user=email, conf_code=SERVER_CODE, **{"pass": PASSWORD}).status == 200
            reply = client.call("signIn", user=email, **{"pass": PASSWORD})
            assert reply.status == 200
        finally:
            output = server.stop()
        assert "Traces go to" in output
        received = collector.spans()
    finally:
        collector.server.stop()

    assert {resource.get("service.name") for resource, _ in received} == {"cognito-backend"}
    sign_in = [span for _, span in received if attributes(span).get("request_id") == reply.headers["X-Request-Id"]]
    assert [span.name for span in sign_in] == ["POST /"]
    children = [span for _, span in received if span.parent_span_id == sign_in[0].span_id]
    assert [span.name for span in children] == ["Cognito Identity Provider.InitiateAuth"]
    assert children[0].trace_id == sign_in[0].trace_id
    assert attributes(children[0])["rpc.method"] == "InitiateAuth"
    everything = str([list(span.attributes) for _, span in received])
    for secret in (email, PASSWORD, reply.json["access_token"]):
        assert secret not in everything
