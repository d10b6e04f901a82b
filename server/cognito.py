"""The Cognito user-pool clients: botocore's async client (aiobotocore), with set timeouts.

The public user-pool calls (SignUp, InitiateAuth, ...) are authorised by the app client's id and
SECRET_HASH, not by AWS credentials, so that client sends them unsigned and looks up no
credentials. The admin client (``admin=True``) signs its calls with the AWS credentials from
``server.aws_credentials``; it opens on its first call, so a server that never makes one never
looks for credentials. Every call goes through ``call``, which turns any failure into our ``ApiError``.

Retries are ours, not botocore's, because a retry is only safe when a second send cannot change the
outcome. A call that never reached Cognito (refused, or the connection not made in time) is sent
again whatever it is. A call that may have reached it (a read timeout, a reset connection, a 5xx,
throttling) is sent
again only when it is ``REPEATABLE``: a SignUp whose answer was lost and that is sent again answers
"this user exists" for the account the first send made. Each call, retries and waits included, has
one deadline, because botocore's read timeout counts from the last byte received, and an answer
that trickles in would otherwise hold the request for ever.
"""

from __future__ import annotations

import base64
import asyncio
import contextlib
import hashlib
import hmac
import random
import socket
from typing import Any

import aiobotocore.session
import aiohttp
from aiobotocore.config import AioConfig
from botocore import UNSIGNED, xform_name
from botocore.exceptions import (ClientError, ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError,
                                 ReadTimeoutError)

from server.attributes import STANDARD_ATTRIBUTES  # noqa: F401 (the methods import it from here)
from server.aws_credentials import admin_session
from server.cognito_errors import from_exception
from server.config import Config
from server.errors import ApiError

# Operations that can be sent twice without a different outcome: reads, and settings that end the
# same whichever send is applied last. Any other is retried only when it never reached Cognito.
REPEATABLE = frozenset({
    "InitiateAuth", "GetUser", "ListUsers", "AdminGetUser", "AdminListGroupsForUser", "RevokeToken",
    "SetUserMFAPreference", "UpdateUserAttributes", "AssociateSoftwareToken", "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup", "AdminDisableUser", "AdminEnableUser", "AdminUserGlobalSignOut",
})
# Cognito refused the call without acting on it: worth another try after a pause.
THROTTLED = frozenset({"TooManyRequestsException", "ThrottlingException"})
# The pause before the n-th retry is random, up to FIRST_BACKOFF * 2**(n - 1) seconds.
FIRST_BACKOFF = 0.2


def _never_sent(error: Exception) -> bool:
    """Whether the call failed before any of it reached Cognito: the connection was never made.
    botocore's EndpointConnectionError also covers a connection reset after the request went out,
    so only the connector's own failures (refused, unreachable, name not found) count."""
    if isinstance(error, ConnectTimeoutError):
        return True
    return isinstance(error, EndpointConnectionError) and isinstance(
        error.kwargs.get("error"), (aiohttp.ClientConnectorError, socket.gaierror))


def _retryable(error: Exception, repeatable: bool) -> bool:
    if _never_sent(error):
        return True
    if not repeatable:
        return False
    if isinstance(error, (ReadTimeoutError, EndpointConnectionError, ConnectionClosedError)):
        return True  # it may have arrived; sending it again changes nothing
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in THROTTLED or status >= 500
    return False


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """Cognito's SECRET_HASH: base64(HMAC-SHA256(key=client secret, message=username + client id))."""
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class CognitoClient:
    """One long-lived async client per process, opened by ``start`` (or its first call) and closed
    by ``close``."""

    def __init__(self, config: Config, *, admin: bool = False):
        self.config = config
        self.admin = admin
        self._exit_stack = contextlib.AsyncExitStack()
        self._client: Any = None
        self._starting: asyncio.Lock | None = None
        attempts = config.cognito_max_attempts
        # Every attempt may take its connect and read timeouts, and the pauses come between them.
        self.deadline = (attempts * (config.cognito_connect_timeout + config.cognito_read_timeout)
                         + FIRST_BACKOFF * (2 ** (attempts - 1) - 1))

    @property
    def client_id(self) -> str:
        return self.config.client_id

    def secret_hash(self, username: str) -> str:
        return secret_hash(username, self.config.client_id, self.config.client_secret)

    def user_params(self, username: str) -> dict[str, str]:
        """ClientId, SecretHash and Username: what every public call about one user sends."""
        return {"ClientId": self.config.client_id, "SecretHash": self.secret_hash(username),
                "Username": username}

    async def start(self) -> None:
        boto_config = AioConfig(
            **({} if self.admin else {"signature_version": UNSIGNED}),
            connect_timeout=self.config.cognito_connect_timeout,
            read_timeout=self.config.cognito_read_timeout,
            retries={"mode": "standard", "total_max_attempts": 1},  # see REPEATABLE
            max_pool_connections=self.config.cognito_max_connections,
        )
        session = admin_session(self.config) if self.admin else aiobotocore.session.get_session()
        self._client = await self._exit_stack.enter_async_context(session.create_client(
            "cognito-idp",
            region_name=self.config.region,
            endpoint_url=self.config.endpoint_url,
            config=boto_config,
        ))

    async def _start_once(self) -> None:
        self._starting = self._starting or asyncio.Lock()
        async with self._starting:
            if self._client is None:
                await self.start()

    async def close(self) -> None:
        await self._exit_stack.aclose()
        self._client = None

    async def current_user(self, access_token: str) -> dict:
        """GetUser: Cognito's own word that the token is live (not signed out, its user not deleted
        or disabled), which a token checked only against the JWKS cannot give. 401 InvalidToken if not."""
        try:
            return await self.call("GetUser", AccessToken=access_token)
        except ApiError as error:
            raise ApiError("InvalidToken") if error.code == "NotAuthorized" else error from None

    async def call(self, operation: str, **params: Any) -> dict:
        """Call a cognito-idp ``operation`` (e.g. "SignUp"); raise ApiError on any failure."""
        try:
            async with asyncio.timeout(self.deadline):
                return await self._attempts(operation, params)
        except TimeoutError:
            raise ApiError("CognitoTimeout") from None
        except Exception as error:  # every failure becomes one of our codes, never a traceback
            raise from_exception(operation, error) from None

    async def _attempts(self, operation: str, params: dict) -> dict:
        if self._client is None:
            await self._start_once()
        send = getattr(self._client, xform_name(operation))
        repeatable = operation in REPEATABLE
        attempt = 1
        while True:
            try:
                return await send(**params)
            except Exception as error:
                if attempt >= self.config.cognito_max_attempts or not _retryable(error, repeatable):
                    raise
            await asyncio.sleep(random.uniform(0, FIRST_BACKOFF * 2 ** (attempt - 1)))
            attempt += 1
