"""``GET /healthz`` and ``GET /readyz``, for load balancers and orchestrators.

``/healthz`` answers 200 while the process can answer at all. ``/readyz`` answers 200 only when the
configuration is loaded, the process is not stopping, and Cognito answers: the pool's JWKS is
fetched within the Cognito connect and read timeouts, which proves both the endpoint and the pool.
"""

from __future__ import annotations

import asyncio

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from server.answers import Answer
from server.endpoint import JsonHandler
from server.errors import ApiError
from server.route_description import Operation, json_answer

_STATUS = {"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"],
           "additionalProperties": False}


class HealthHandler(JsonHandler):
    allowed_methods = "GET, HEAD"
    openapi = {"get": Operation("Liveness", "health", {"200": json_answer("The process answers.", _STATUS)})}

    def get(self) -> None:
        self.write_answer(Answer(200, {"status": "alive"}))

    head = get


class ReadyHandler(JsonHandler):
    allowed_methods = "GET, HEAD"
    openapi = {"get": Operation("Readiness: configured, not stopping, and Cognito answers", "health",
                                {"200": json_answer("Ready.", _STATUS)}, errors=("Stopping", "CognitoUnavailable"))}

    async def get(self) -> None:
        services = self.services
        config = services.config
        if services.stopping:
            self.write_api_error(ApiError("Stopping"))
            return
        # One check at a time: probes that come while one runs share its answer, so a flood of them
        # makes no flood of fetches (nor a queue in the HTTP client that /callback also uses).
        check = self.application.cognito_check
        if check is None or check.done():
            check = self.application.cognito_check = asyncio.ensure_future(cognito_answers(config))
        if not await asyncio.shield(check):
            self.write_api_error(ApiError("CognitoUnavailable"))
            return
        self.write_answer(Answer(200, {"status": "ready"}))

    head = get


async def cognito_answers(config) -> bool:
    """Whether the pool's JWKS can be fetched within the Cognito timeouts."""
    try:
        await AsyncHTTPClient().fetch(config.jwks_url, connect_timeout=config.cognito_connect_timeout,
                                      request_timeout=config.cognito_connect_timeout + config.cognito_read_timeout)
    except (HTTPClientError, OSError):
        return False
    return True


ROUTES = [(r"/healthz", HealthHandler), (r"/readyz", ReadyHandler)]
