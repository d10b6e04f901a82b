"""The local Cognito over HTTP: the cognito-idp JSON protocol and the pool's JWKS, on loopback only.

It runs on its own thread with its own event loop, so its work (scrypt password hashes, saving the
state file) never holds up the server's IOLoop; the server reaches it over HTTP like any Cognito.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid

import tornado.httpserver
import tornado.netutil
import tornado.web

from server.local_cognito.service import CognitoFault, LocalUserPool

log = logging.getLogger("local_cognito")

TARGET_PREFIX = "AWSCognitoIdentityProviderService."


class CognitoApiHandler(tornado.web.RequestHandler):
    def initialize(self, pool: LocalUserPool):
        self.pool = pool

    def check_xsrf_cookie(self) -> None:  # an API for SDKs, not a form
        pass

    def post(self) -> None:
        self.set_header("Content-Type", "application/x-amz-json-1.1")
        self.set_header("x-amzn-RequestId", str(uuid.uuid4()))
        target = self.request.headers.get("X-Amz-Target", "")
        operation = self.pool.operations.get(target.removeprefix(TARGET_PREFIX))
        try:
            if operation is None or not target.startswith(TARGET_PREFIX):
                raise CognitoFault("UnknownOperationException",
                                   f"The local Cognito does not implement {target or 'this request'}.")
            try:
                params = json.loads(self.request.body or b"{}")
            except ValueError:
                raise CognitoFault("SerializationException", "The request body is not JSON.") from None
            if not isinstance(params, dict):
                raise CognitoFault("SerializationException", "The request body is not a JSON object.")
            result = operation(params)
        except CognitoFault as fault:
            self.set_status(fault.status)
            self.set_header("x-amzn-ErrorType", fault.name)
            self.finish(json.dumps({"__type": fault.name, "message": fault.message}))
            return
        self.finish(json.dumps(result))


class JwksHandler(tornado.web.RequestHandler):
    def initialize(self, pool: LocalUserPool):
        self.pool = pool

    def get(self, pool_id: str) -> None:
        if pool_id != self.pool.pool_id:
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(self.pool.signer.jwks()))


def make_local_cognito_app(pool: LocalUserPool) -> tornado.web.Application:
    return tornado.web.Application([
        (r"/", CognitoApiHandler, {"pool": pool}),
        (r"/([^/]+)/\.well-known/jwks\.json", JwksHandler, {"pool": pool}),
    ], log_function=lambda handler: None)


class LocalCognito:
    """Runs a ``LocalUserPool`` behind HTTP on 127.0.0.1, on a thread of its own."""

    def __init__(self, pool: LocalUserPool, port: int = 0):
        self.pool = pool
        self._requested_port = port
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.port = 0

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LocalCognito":
        self._thread = threading.Thread(target=self._run, name="local-cognito", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        try:
            sockets = tornado.netutil.bind_sockets(self._requested_port, address="127.0.0.1")
        except OSError as error:
            self._error = error
            self._ready.set()
            return
        self.port = sockets[0].getsockname()[1]
        self.pool.issuer = f"{self.endpoint_url}/{self.pool.pool_id}"
        server = tornado.httpserver.HTTPServer(make_local_cognito_app(self.pool))
        server.add_sockets(sockets)
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        server.stop()
        await server.close_all_connections()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
