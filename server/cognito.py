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

New tokens from a refresh token come from ``refreshed`` (see there): GetTokensFromRefreshToken, the
one call that works whether the app client rotates refresh tokens or not, or REFRESH_TOKEN_AUTH on
an endpoint found not to serve it (moto, older LocalStack). That finding is made once per client,
here and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import time
from typing import Any, Callable, Mapping

import aiobotocore.session
import aiohttp
from aiobotocore.config import AioConfig
from botocore import UNSIGNED, xform_name
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from server import metrics, tracing
from server.attributes import STANDARD_ATTRIBUTES  # noqa: F401 (the methods import it from here)
from server.aws_credentials import admin_session
from server.aws_endpoints import IGNORE_CONFIGURED
from server.cognito_errors import from_exception
from server.config import Config
from server.errors import ApiError
from server.secret_hash import secret_hash

log = logging.getLogger("server.cognito")


# Operations that can be sent twice without a different outcome: reads, and settings that end the
# same whichever send is applied last. Any other is retried only when it never reached Cognito.
REPEATABLE = frozenset(
    {
        "InitiateAuth",
        "GetUser",
        "ListUsers",
        "AdminGetUser",
        "AdminListGroupsForUser",
        "RevokeToken",
        "SetUserMFAPreference",
        "UpdateUserAttributes",
        "AssociateSoftwareToken",
        "AdminAddUserToGroup",
        "AdminRemoveUserFromGroup",
        "AdminDisableUser",
        "AdminEnableUser",
        "AdminUserGlobalSignOut",
        # With refresh-token rotation off it is a read. With rotation on, a first send whose answer was
        # lost may have rotated the token: within the app client's grace period (RetryGracePeriodSeconds,
        # which Cognito says is there "for client-side retries") the old token still works, and the
        # second send gets tokens and a new refresh token of its own; the one the lost answer carried is
        # simply never used. With no grace period the first send has already invalidated the token, so
        # a second send is refused, but so would be every later refresh with the token the cookie still
        # holds: the retry loses nothing, and it saves the refresh whenever the first send never acted.
        "GetTokensFromRefreshToken",
    }
)
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
        error.kwargs.get("error"), (aiohttp.ClientConnectorError, socket.gaierror)
    )


# What emulators answer for an operation they do not implement: LocalStack's InternalFailure (HTTP
# 501, "not yet implemented or pro feature"), cognito-local's "CognitoLocal#Unsupported" (HTTP 500,
# which botocore reads as the code "Unsupported"), the local Cognito's UnknownOperationException, and
# the names other AWS-like services use.
UNKNOWN_OPERATION_CODES = frozenset(
    {
        "UnknownOperationException",
        "UnknownOperation",
        "InvalidAction",
        "NotImplemented",
        "NotImplementedException",
        "InternalFailure",
        "Unsupported",
    }
)
# Statuses of such answers: never 429 or a proxy's 502, 503 and 504, which say "busy", not "unknown".
UNKNOWN_OPERATION_STATUSES = frozenset({400, 404, 405, 500, 501})
GET_TOKENS = "GetTokensFromRefreshToken"
# The outcomes counted for a call ended by an endpoint that does not serve the operation, and for
# one whose task was cancelled (the server stopping) before it ended.
UNSUPPORTED = "unsupported"
CANCELLED = "cancelled"
REFRESH_TOKEN_AUTH = "REFRESH_TOKEN_AUTH"


def lacks_operation(error: Exception, declared_errors: frozenset[str]) -> bool:
    """Whether ``error`` is an endpoint's way of saying it does not know the operation at all: an
    error code the operation does not declare in botocore's model (so not Cognito speaking about
    the request), with a status that is not "busy", and either a known "unknown operation" code or
    no code at all (moto answers an action it lacks with HTTP 500 and an HTML page, of which
    botocore makes the code "500"). Throttling, Cognito's InternalErrorException, timeouts, and a
    proxy's bare 502, 503 or 504 are none of these."""
    if not isinstance(error, ClientError):
        return False
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in declared_errors or code in THROTTLED or status not in UNKNOWN_OPERATION_STATUSES:
        return False
    return code in UNKNOWN_OPERATION_CODES or code in ("", str(status))


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


def _authentication_result(operation: str, response: dict) -> dict:
    """The tokens of a refresh's answer. A refresh never asks for another step, so an answer
    without tokens (an emulator's empty answer, a challenge) is Cognito failing to answer."""
    result = response.get("AuthenticationResult")
    if not isinstance(result, dict) or not result.get("AccessToken") or not result.get("IdToken"):
        log.error("Cognito %s answered no tokens", operation)
        raise ApiError("CognitoError")
    return result


class CognitoClient:
    """One long-lived async client per process, opened by ``start`` (or its first call) and closed
    by ``close``."""

    def __init__(self, config: Config, *, admin: bool = False):
        self.config = config
        self.admin = admin
        self._metrics = metrics.instruments() if config.metrics else None
        self._exit_stack = contextlib.AsyncExitStack()
        self._client: Any = None
        self._starting: asyncio.Lock | None = None
        # How ``refreshed`` gets tokens: GET_TOKENS or REFRESH_TOKEN_AUTH once an answer of the
        # endpoint has shown which it serves, None until then.
        self.refresh_flow: str | None = None
        # How signIn sends a password (server.sign_in_flows): "srp" once SIGN_IN_FLOW=auto has found
        # the app client refusing USER_PASSWORD_AUTH, None until then.
        self.sign_in_flow: str | None = None
        attempts = config.cognito_max_attempts
        # Every attempt may take its connect and read timeouts, and the pauses come between them.
        self.deadline = attempts * (config.cognito_connect_timeout + config.cognito_read_timeout) + FIRST_BACKOFF * (
            2 ** (attempts - 1) - 1
        )

    @property
    def client_id(self) -> str:
        return self.config.client_id

    def secret_hash(self, username: str) -> str:
        return secret_hash(username, self.config.client_id, self.config.client_secret)

    def user_params(self, username: str) -> dict[str, Any]:
        """ClientId, SecretHash and Username: what every public call about one user sends."""
        return {"ClientId": self.config.client_id, "SecretHash": self.secret_hash(username), "Username": username}

    async def start(self) -> None:
        boto_config = AioConfig(
            **({} if self.admin else {"signature_version": UNSIGNED}),
            connect_timeout=self.config.cognito_connect_timeout,
            read_timeout=self.config.cognito_read_timeout,
            retries={"mode": "standard", "total_max_attempts": 1},  # see REPEATABLE
            max_pool_connections=self.config.cognito_max_connections,
            # Only the endpoint given here: the one the JWKS and the issuer are derived from.
            **IGNORE_CONFIGURED,
        )
        session = admin_session(self.config) if self.admin else aiobotocore.session.get_session()
        self._client = await self._exit_stack.enter_async_context(
            session.create_client(
                "cognito-idp",
                region_name=self.config.region,
                endpoint_url=self.config.endpoint_url,
                config=boto_config,
            )
        )

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
        return await self._call(operation, params)

    async def call_passing(self, operation: str, passing: Callable[[Exception], bool], **params: Any) -> dict:
        """``call``, except that a failure ``passing`` picks out ends the attempts and is raised as
        botocore raised it, for the caller to read (server.sign_in_flows)."""
        return await self._call(operation, params, final=passing)

    async def _call(self, operation: str, params: dict, final: Callable[[Exception], bool] | None = None) -> dict:
        """``call``, where ``final`` may pick out failures that end the attempts and are raised as
        they are, not as ApiError. Every call is counted (``server.metrics``) and, with traces on,
        is a span (``server.tracing``), whatever its outcome."""
        started = time.monotonic()
        span = tracing.cognito_span(operation, self.config) if tracing.tracer is not None else None
        attempts = [0]
        # Until the call ends one way or another; a call whose task is cancelled ends so.
        outcome = CANCELLED
        # Cognito's answer, or the error response it sent: what the span reads its request id from.
        answer: Mapping[str, Any] | None = None
        try:
            async with asyncio.timeout(self.deadline):
                answer = await self._attempts(operation, params, final, attempts)
            outcome = "ok"
            return answer
        except TimeoutError:
            outcome = "CognitoTimeout"
            raise ApiError(outcome) from None
        except Exception as error:  # every failure becomes one of our codes, never a traceback
            answer = error.response if isinstance(error, ClientError) else None
            if final is not None and final(error):
                outcome = UNSUPPORTED
                raise
            api_error = from_exception(operation, error)
            outcome = api_error.code
            raise api_error from None
        finally:
            if self._metrics is not None:
                self._metrics.cognito_called(operation, outcome, time.monotonic() - started)
            if span is not None:
                tracing.end_cognito_span(span, outcome, answer, attempts[0])

    async def refreshed(self, refresh_token: str, username: str) -> dict:
        """The AuthenticationResult for a refresh token (with a new refresh token when the app client
        rotates them); ApiError otherwise.

        GetTokensFromRefreshToken takes the client secret itself and works with rotation on or off;
        REFRESH_TOKEN_AUTH is refused by an app client that rotates, so it is only the way on an
        endpoint that does not serve GetTokensFromRefreshToken (moto, older LocalStack). Which one
        the endpoint serves is decided here, once per client, by the first answer that shows it:
        tokens, or a refusal the operation declares (NotAuthorizedException...), mean it serves it;
        an "unknown operation" answer (``lacks_operation``) means it does not, and is not sent again.
        Anything else (throttling, a 5xx, a timeout, a proxy's page) shows nothing, and the next
        refresh asks again."""
        if self.refresh_flow != REFRESH_TOKEN_AUTH:
            if self._client is None:
                await self._start_once()
            declared = frozenset(
                shape.name for shape in self._client.meta.service_model.operation_model(GET_TOKENS).error_shapes
            )

            def shows_it_is_lacking(error: Exception) -> bool:
                """Decides the flow when ``error`` shows it; True (ending the attempts) when the
                endpoint lacks the operation."""
                if self.refresh_flow is not None or not isinstance(error, ClientError):
                    return False
                if lacks_operation(error, declared):
                    return True
                code = error.response.get("Error", {}).get("Code", "")
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if code in declared and code not in THROTTLED and status < 500:
                    # Cognito's own refusal of this request (a revoked token, say): it serves the
                    # operation. Throttling and 5xx answers show nothing either way.
                    self._decide_refresh_flow(GET_TOKENS)
                return False

            try:
                response = await self._call(
                    GET_TOKENS,
                    {
                        "ClientId": self.config.client_id,
                        "ClientSecret": self.config.client_secret,
                        "RefreshToken": refresh_token,
                    },
                    final=shows_it_is_lacking,
                )
            except ClientError as error:  # only what shows_it_is_lacking let through
                self._decide_refresh_flow(REFRESH_TOKEN_AUTH, error)
            else:
                self._decide_refresh_flow(GET_TOKENS)
                return _authentication_result(GET_TOKENS, response)
        response = await self.call(
            "InitiateAuth",
            AuthFlow=REFRESH_TOKEN_AUTH,
            ClientId=self.config.client_id,
            # The name Cognito assigned, not the email: the hash is checked on it.
            AuthParameters={"REFRESH_TOKEN": refresh_token, "SECRET_HASH": self.secret_hash(username)},
        )
        return _authentication_result(REFRESH_TOKEN_AUTH, response)

    def _decide_refresh_flow(self, flow: str, lacking: ClientError | None = None) -> None:
        if self.refresh_flow is not None:
            return
        self.refresh_flow = flow
        if lacking is None:
            log.info("Refreshing tokens with GetTokensFromRefreshToken.")
            return
        log.warning(
            "The Cognito endpoint does not serve GetTokensFromRefreshToken (it answered %s, HTTP "
            "%s): refreshing tokens with InitiateAuth REFRESH_TOKEN_AUTH, which an app client "
            "that rotates refresh tokens refuses.",
            lacking.response.get("Error", {}).get("Code", "") or "no error code",
            lacking.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0),
        )

    async def _attempts(
        self, operation: str, params: dict, final: Callable[[Exception], bool] | None, attempts: list[int]
    ) -> dict:
        """Send the call until it succeeds or may not be sent again; ``attempts[0]`` counts the sends."""
        if self._client is None:
            await self._start_once()
        send = getattr(self._client, xform_name(operation))
        repeatable = operation in REPEATABLE
        attempt = 1
        while True:
            attempts[0] = attempt
            try:
                return await send(**params)
            except Exception as error:
                if (
                    attempt >= self.config.cognito_max_attempts
                    or not _retryable(error, repeatable)
                    or (final is not None and final(error))
                ):
                    raise
            await asyncio.sleep(random.uniform(0, FIRST_BACKOFF * 2 ** (attempt - 1)))
            attempt += 1
