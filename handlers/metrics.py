"""``GET /metrics``: the server's numbers in Prometheus' text format (``server.metrics``).

Served on the server's port, unless ``METRICS=off`` or ``METRICS_PORT`` gives it a port of its own.
It is not rate-limited (only the methods of ``POST /`` that take a user name are), and its requests
are counted but not written to the access log. With several processes, whichever answers shows the
sum over all of them.
"""

from __future__ import annotations

from server.endpoint import JsonHandler
from server.metrics import CONTENT_TYPE, instruments
from server.route_description import Operation


class MetricsHandler(JsonHandler):
    """Requests by route pattern, HTTP method and status, and their durations; Cognito calls by
    operation and outcome, and their durations; rate-limit refusals by method; requests in flight;
    in local mode, the local Cognito's operations and storage failures. No label holds a user name,
    a token, a path's ids or a query string."""

    allowed_methods = "GET"
    openapi = {
        "get": Operation(
            "Metrics, in Prometheus' text format",
            "health",
            {
                "200": {
                    "description": "The metrics (text/plain; version=0.0.4).",
                    "headers": {},
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        )
    }

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(instruments().exposition())


ROUTES = [(r"/metrics", MetricsHandler)]
