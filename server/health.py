"""``GET /healthz`` and ``GET /readyz``, for load balancers and orchestrators.

``/healthz`` answers 200 while the process can answer at all. ``/readyz`` answers 200 only when the
configuration is loaded, the process is not stopping, and Cognito answers: the pool's JWKS is
fetched within the Cognito connect and read timeouts, which proves both the endpoint and the pool.
"""

from __future__ import annotations

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from server.dispatch import Answer
from server.endpoint import JsonHandler
from server.errors import ApiError


class HealthHandler(JsonHandler):
    allowed_methods = "GET"

    def get(self) -> None:
        self.write_answer(Answer(200, {"status": "alive"}))


class ReadyHandler(JsonHandler):
    allowed_methods = "GET"

    async def get(self) -> None:
        services = self.services
        config = services.config
        if services.stopping:
            self.write_api_error(ApiError("Stopping"))
            return
        try:
            await AsyncHTTPClient().fetch(config.jwks_url, connect_timeout=config.cognito_connect_timeout,
                                          request_timeout=config.cognito_connect_timeout
                                          + config.cognito_read_timeout)
        except (HTTPClientError, OSError):
            self.write_api_error(ApiError("CognitoUnavailable"))
            return
        self.write_answer(Answer(200, {"status": "ready"}))


ROUTES = [(r"/healthz", HealthHandler), (r"/readyz", ReadyHandler)]
