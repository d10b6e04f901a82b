"""The local Cognito over HTTP: the cognito-idp JSON protocol, the pool's JWKS, and the hosted UI
(``hosted_ui.py``: authorize, sign-in and sign-up pages, token, userInfo, logout, OpenID Connect
discovery), all on one loopback host and port, as a pool's domain serves them at Cognito.

Operations Cognito authorises with IAM (the admin ones) need a SigV4 ``Authorization`` header, as
they do at AWS; the signature itself is not checked. A ``Username`` that is not Cognito's
``UsernameType`` is refused before any operation runs (``validation.py``).

Each request is one transaction of the pool (``pool_handler.py``): its answer is sent once its changes
are stored. When the data folder cannot be written, the changes are rolled back and the answer is
HTTP 503 ``LocalStorageUnavailableException``, the local Cognito's own error (Cognito has no such
answer); the server maps it to its ``LocalStorageUnavailable``. ``/local-cognito/ready`` says whether
the folder can be written now.

It runs on a thread with its own event loop (``BackgroundServer``), so its work (its database, and
scrypt in a thread pool of its own) never holds up the server's IOLoop; the server reaches it over
HTTP like any Cognito.
"""

from __future__ import annotations

import json
import logging
import uuid

import tornado.web

from local_cognito.admin import needs_signature
from local_cognito.faults import CognitoFault, StorageUnavailable
from local_cognito.hosted_federation import federation_routes
from local_cognito.hosted_password_reset import password_reset_routes
from local_cognito.hosted_sign_up import sign_up_routes
from local_cognito.hosted_ui import HostedUi, hosted_ui_routes
from local_cognito.metrics import observe
from local_cognito.pages import Branding
from local_cognito.password_work import api_work
from local_cognito.passwords import Work
from local_cognito.pool_handler import PoolHandler, ReadinessHandler
from local_cognito.service import LocalUserPool
from local_cognito.validation import check_username
from server.background import BackgroundServer
from server.config import LOCAL_READINESS_PATH

log = logging.getLogger("local_cognito")

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
SIGV4_PREFIX = "AWS4-HMAC-SHA256 Credential="


class CognitoApiHandler(PoolHandler):
    """One operation per request, as one transaction (``pool_handler.py``)."""

    def initialize(self, pool: LocalUserPool):
        self.pool = pool

    def check_xsrf_cookie(self) -> None:  # an API for SDKs, not a form
        pass

    def write_storage_unavailable(self, failure: StorageUnavailable) -> None:
        self.set_header("Content-Type", "application/x-amz-json-1.1")
        self.set_header("x-amzn-RequestId", str(uuid.uuid4()))
        self._write_fault(failure)

    def _write_fault(self, fault: CognitoFault) -> None:
        self.set_status(fault.status)
        self.set_header("x-amzn-ErrorType", fault.name)
        self.write(json.dumps({"__type": fault.name, "message": fault.message}))

    def _operation(self) -> tuple[str, str | None, bool]:
        """(X-Amz-Target, the operation it names or None, whether the request is SigV4-signed)."""
        target = self.request.headers.get("X-Amz-Target", "")
        name = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else None
        return target, name, self.request.headers.get("Authorization", "").startswith(SIGV4_PREFIX)

    def password_work(self) -> Work | None:
        _, name, signed = self._operation()
        if not name or name not in self.pool.operations or (needs_signature(name) and not signed):
            return None
        try:
            params = json.loads(self.request.body or b"{}")
        except ValueError:
            return None
        return api_work(self.pool, name, params) if isinstance(params, dict) else None

    def post(self) -> None:
        self.set_header("Content-Type", "application/x-amz-json-1.1")
        self.set_header("x-amzn-RequestId", str(uuid.uuid4()))
        target, name, signed = self._operation()
        operation = self.pool.operations.get(name) if name else None
        try:
            if name and needs_signature(name) and not signed:
                # Cognito authorises these with IAM. Any SigV4 signature will do here: the server
                # signs with whatever credentials it has, in local mode fixed dummy ones.
                raise CognitoFault("MissingAuthenticationTokenException", "Missing Authentication Token")
            if operation is None:
                raise CognitoFault(
                    "UnknownOperationException", f"The local Cognito does not implement {target or 'this request'}."
                )
            try:
                params = json.loads(self.request.body or b"{}")
            except ValueError:
                raise CognitoFault("SerializationException", "The request body is not JSON.") from None
            if not isinstance(params, dict):
                raise CognitoFault("SerializationException", "The request body is not a JSON object.")
            check_username(params.get("Username"))  # before anything else, as Cognito validates requests
            try:
                result = operation(params)
            except CognitoFault:
                raise
            except Exception:  # answered as Cognito would: a JSON error, never a stack trace
                log.exception("The local Cognito failed on %s", target)
                raise CognitoFault("InternalErrorException", "Internal error.", status=500) from None
        except CognitoFault as fault:
            self._write_fault(fault)
            self.finish()
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


def make_local_cognito_app(
    pool: LocalUserPool, base_url: str, branding: Branding | None = None
) -> tornado.web.Application:
    """The app served at ``base_url``. The hosted UI's forms need Tornado's XSRF check; the JSON
    endpoints (the API, token, userInfo) opt out of it. Nothing is logged per request: query strings
    carry authorization codes. Each answer is counted for the server's /metrics (``metrics.py``)."""
    ui = HostedUi(pool, base_url, branding)
    return tornado.web.Application(
        [
            (r"/", CognitoApiHandler, {"pool": pool}),
            (r"/([^/]+)/\.well-known/jwks\.json", JwksHandler, {"pool": pool}),
            (LOCAL_READINESS_PATH, ReadinessHandler, {"pool": pool}),
            *hosted_ui_routes(ui),
            *sign_up_routes(ui),
            *password_reset_routes(ui),
            *federation_routes(ui),
        ],
        log_function=observe,
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"httponly": True, "samesite": "Lax"},
    )


class LocalCognito:
    """Runs a ``LocalUserPool`` behind HTTP on 127.0.0.1 (or ``host``), on a thread of its own.

    ``url`` is the address its clients reach it at, when that is not the one it listens on (behind a
    container's port mapping, on every address): it names the tokens' issuer and the hosted UI's links."""

    joined = False  # this process runs it (see sharing.JoinedLocalCognito)

    def __init__(
        self,
        pool: LocalUserPool,
        port: int = 0,
        branding: Branding | None = None,
        *,
        host: str = "127.0.0.1",
        url: str | None = None,
    ):
        """``branding``: the app's name and icon on the hosted UI's pages."""
        self.pool = pool
        self._url = url.rstrip("/") if url else None

        async def build(bound_port: int):
            base_url = self.endpoint_url
            self.pool.issuer = f"{base_url}/{self.pool.pool_id}"
            return make_local_cognito_app(pool, base_url, branding), None

        self._server = BackgroundServer(build, port, name="local-cognito", host=host)
        self._on_stop: list = []

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def address(self) -> str:
        """The address the socket is bound to."""
        return self._server.address

    @property
    def endpoint_url(self) -> str:
        return self._url or self._server.url

    def start(self) -> LocalCognito:
        self._server.start()
        return self

    def on_stop(self, callback) -> None:
        """Call ``callback()`` once the server has stopped."""
        self._on_stop.append(callback)

    def stop(self) -> None:
        self._server.stop()
        self.pool.passwords.close()
        while self._on_stop:
            self._on_stop.pop()()
