"""``GET /healthz`` and ``GET /readyz``, for load balancers and orchestrators.

``/healthz`` answers 200 while the process can answer at all. ``/readyz`` answers 200 only when the
configuration is loaded, the process is not stopping, and Cognito answers: the pool's JWKS is
fetched within the Cognito connect and read timeouts, which proves both the endpoint and the pool.
In local mode the local Cognito must also be able to save to its data folder: it says so at
``Config.local_readiness_url`` (503 ``LocalStorageUnavailable`` otherwise). The process that runs the
local Cognito is the one asked, since it is the one that writes: a server that joined it asks it too.
With the photo records in PostgreSQL (``PHOTOS_DATABASE_URL``), the database must answer a round trip
on a pooled connection too (503 ``StorageUnavailable`` otherwise), since every server shares it; the
records on this machine's disk have nothing to ask. The two checks run side by side; a Cognito problem
is the one answered when both fail.
"""

from __future__ import annotations

import asyncio

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from server.answers import Answer
from server.endpoint import JsonHandler
from server.errors import ApiError
from server.route_description import Operation, json_answer

_STATUS = {
    "type": "object",
    "properties": {"status": {"type": "string"}},
    "required": ["status"],
    "additionalProperties": False,
}


class HealthHandler(JsonHandler):
    allowed_methods = "GET, HEAD"
    openapi = {"get": Operation("Liveness", "health", {"200": json_answer("The process answers.", _STATUS)})}

    def get(self) -> None:
        self.write_answer(Answer(200, {"status": "alive"}))

    head = get


class ReadyHandler(JsonHandler):
    allowed_methods = "GET, HEAD"
    openapi = {
        "get": Operation(
            "Readiness: configured, not stopping, and Cognito answers",
            "health",
            {"200": json_answer("Ready.", _STATUS)},
            errors=("Stopping", "CognitoUnavailable", "LocalStorageUnavailable", "StorageUnavailable"),
        )
    }

    async def get(self) -> None:
        services = self.services
        config = services.config
        if services.stopping:
            self.write_api_error(ApiError("Stopping"))
            return
        # One check of each at a time: probes that come while one runs share its answer, so a flood of
        # them makes no flood of fetches (nor a queue in the HTTP client that /callback also uses, nor
        # in the database's pool).
        app = self.application
        check = app.cognito_check
        if check is None or check.done():
            check = app.cognito_check = asyncio.ensure_future(cognito_problem(config))
        storage = app.storage_check
        if storage is None or storage.done():
            storage = app.storage_check = asyncio.ensure_future(services.photos.records.problem())
        problem = await asyncio.shield(check) or await asyncio.shield(storage)
        if problem is not None:
            self.write_api_error(ApiError(problem))
            return
        self.write_answer(Answer(200, {"status": "ready"}))

    head = get


async def cognito_problem(config) -> str | None:
    """None when the pool's JWKS can be fetched within the Cognito timeouts (and, in local mode, the
    local Cognito can save to its data folder); otherwise the error code that says what is wrong."""
    if await _status(config, config.jwks_url) != 200:
        return "CognitoUnavailable"
    if config.local_readiness_url is not None:
        status = await _status(config, config.local_readiness_url)
        if status == 503:
            return "LocalStorageUnavailable"
        if status != 200:
            return "CognitoUnavailable"
    return None


async def _status(config, url: str) -> int | None:
    """The HTTP status of a GET of ``url`` within the Cognito timeouts, None when none came."""
    try:
        await AsyncHTTPClient().fetch(
            url,
            connect_timeout=config.cognito_connect_timeout,
            request_timeout=config.cognito_connect_timeout + config.cognito_read_timeout,
        )
    except HTTPClientError as error:
        return error.code
    except OSError:
        return None
    return 200


ROUTES = [(r"/healthz", HealthHandler), (r"/readyz", ReadyHandler)]
