"""A stand-in for Cognito's user-pool API that answers InitiateAuth after a chosen latency.

The benchmark points every server under test at it (``COGNITO_ENDPOINT_URL``). Its modes make it
slow, throttled, failing or unreachable, to try a server's fault handling by hand (the tests have a
stand-in of their own, ``tests/support/faulty_cognito.py``, for faults they time). It shares the
machine's cores with the servers it serves, so it is a bare asyncio ``Protocol`` that parses only
what botocore sends (HTTP/1.1 with keep-alive and ``Content-Length``) and answers with
``loop.call_later(latency, ...)``.

What it answers (``X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth``, JSON 1.1):

- ``USER_PASSWORD_AUTH``: ``SECRET_HASH`` must be right for the ``USERNAME`` and the client, and the
  password must be ``password`` when one is set (any password otherwise). The answer is an
  ``AuthenticationResult`` of the sizes and claims Cognito gives: an RS256-shaped ``AccessToken``
  (its ``username`` claim is the user's ``sub``) and ``IdToken``, a JWE-shaped ``RefreshToken``,
  ``ExpiresIn`` 3600 and ``TokenType`` "Bearer". The signatures are not real: nothing checks them.
- ``REFRESH_TOKEN_AUTH``: the same without a new ``RefreshToken``.
- Anything else: Cognito's 400 errors (``NotAuthorizedException``, ``InvalidParameterException``,
  ``ResourceNotFoundException``, ``UnknownOperationException``).

Modes (``MODES``), switched at any time:

- ``ok``: answer as above after ``latency`` seconds;
- ``slow``: answer after ``slow_seconds`` instead (longer than a server's read timeout by default);
- ``throttle``: 400 ``TooManyRequestsException`` (what Cognito answers over its quotas);
- ``throttling``: 400 ``ThrottlingException`` (the AWS-wide code, which botocore also retries);
- ``error``: 500 ``InternalErrorException``;
- ``refuse``: stop listening and drop every open connection, so connections are refused; switching
  to any other mode listens again on the same port.

In the running event loop::

    standin = StandinCognito(latency=0.05)
    port = await standin.start()            # 127.0.0.1, any free port
    standin.endpoint_url                    # "http://127.0.0.1:<port>"
    await standin.set_mode("throttle")
    standin.requests                        # requests answered or being answered so far
    await standin.stop()

In a process of its own (what the benchmark does; stopped with its parent), from
``bench.standin_process``::

    with start_process(latency=0.05) as standin:   # a StandinProcess
        standin.endpoint_url
        standin.set_mode("refuse")
        standin.request_count()

or from a shell: ``python -m bench.standin_cognito --port 9229 --latency 0.05``.

``POOL_ENV`` is the environment that points a server at it (add ``COGNITO_ENDPOINT_URL`` and
``COOKIE_SECRET``); ``CLIENT_ID`` and ``CLIENT_SECRET`` are the app client it expects. They, and the
tokens it answers with, are in ``bench.standin_tokens``; this module serves them over HTTP.
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import hmac
import json
import sys
import time
import uuid

from bench.standin_tokens import CLIENT_ID, CLIENT_SECRET, POOL_ENV, POOL_ID, REGION, TokenFactory, secret_hash

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "DEFAULT_LATENCY",
    "DEFAULT_SLOW_SECONDS",
    "MODES",
    "POOL_ENV",
    "POOL_ID",
    "REGION",
    "StandinCognito",
    "secret_hash",
]

DEFAULT_LATENCY = 0.05
DEFAULT_SLOW_SECONDS = 30.0
MODES = ("ok", "slow", "throttle", "throttling", "error", "refuse")

TARGET_PREFIX = b"awscognitoidentityproviderservice."
# Requests are small JSON documents; a header block larger than this is not botocore talking.
MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024

REASONS = {
    200: b"OK",
    400: b"Bad Request",
    411: b"Length Required",
    413: b"Payload Too Large",
    500: b"Internal Server Error",
}
FAULTS = {
    "throttle": (400, "TooManyRequestsException", "Rate exceeded"),
    "throttling": (400, "ThrottlingException", "Rate exceeded"),
    "error": (500, "InternalErrorException", "An internal error occurred."),
}


class _Connection(asyncio.Protocol):
    """One client connection: requests in, answers out in the same order."""

    def __init__(self, standin: StandinCognito):
        self.standin = standin
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        # Answers not yet written, oldest first: [bytes or None (not ready), keep_alive].
        self.queue: collections.deque[list] = collections.deque()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.standin._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.standin._connections.discard(self)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES:
                    self.transport.close()
                return
            head = bytes(self.buffer[:end]).lower().split(b"\r\n")
            headers = dict(line.split(b":", 1) for line in head[1:] if b":" in line)
            if b"content-length" not in headers:
                self._answer_now(411, b"", keep_alive=False)
                return
            length = int(headers[b"content-length"].strip() or 0)
            if length > MAX_BODY_BYTES:
                self._answer_now(413, b"", keep_alive=False)
                return
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            keep_alive = headers.get(b"connection", b"").strip() != b"close" and not head[0].endswith(b"/1.0")
            self.standin._request(self, headers.get(b"x-amz-target", b"").strip(), body, keep_alive)

    def _answer_now(self, status: int, body: bytes, keep_alive: bool) -> None:
        slot = [None, keep_alive]
        self.queue.append(slot)
        self.ready(slot, status, body)

    def ready(self, slot: list, status: int, body: bytes) -> None:
        """``slot``'s answer is known: write every answer that is now ready, in order."""
        slot[0] = self.standin._response(status, body, slot[1])
        while self.queue and self.queue[0][0] is not None and self.transport is not None:
            response, keep_alive = self.queue.popleft()
            self.transport.write(response)
            if not keep_alive:
                self.transport.close()


class StandinCognito:
    """The stand-in, served from the running asyncio event loop."""

    def __init__(
        self,
        *,
        latency: float = DEFAULT_LATENCY,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        region: str = REGION,
        pool_id: str = POOL_ID,
        password: str | None = None,
        mode: str = "ok",
        slow_seconds: float = DEFAULT_SLOW_SECONDS,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.latency = latency
        self.client_id = client_id
        self.client_secret = client_secret
        self.password = password
        self.mode = mode
        self.slow_seconds = slow_seconds
        self.requests = 0
        self.host = "127.0.0.1"
        self.port = 0
        self._tokens = TokenFactory(region, pool_id, client_id)
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[_Connection] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._date = (0, b"")

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host``:``port`` (0: any free port); return the port."""
        self.host = host
        self.port = port
        if self.mode != "refuse":
            await self._listen()
        return self.port

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self), self.host, self.port, reuse_address=True, backlog=1024
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def set_mode(self, mode: str) -> None:
        """Switch to ``mode`` (one of ``MODES``) for every request from now on."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.mode = mode
        if mode == "refuse":
            await self._close()
        elif self._server is None:
            await self._listen()

    async def stop(self) -> None:
        await self._close()

    async def _close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for connection in list(self._connections):
            if connection.transport is not None:
                connection.transport.abort()
        self._connections.clear()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _request(self, connection: _Connection, target: bytes, body: bytes, keep_alive: bool) -> None:
        self.requests += 1
        slot = [None, keep_alive]
        connection.queue.append(slot)
        fault = FAULTS.get(self.mode)
        status, answer = (fault[0], _error(fault[1], fault[2])) if fault else self._answer(target, body)
        delay = self.slow_seconds if self.mode == "slow" else self.latency
        timer: asyncio.TimerHandle

        def send() -> None:
            self._timers.discard(timer)
            if connection.transport is not None:
                connection.ready(slot, status, answer)

        timer = asyncio.get_running_loop().call_later(delay, send)
        self._timers.add(timer)

    def _answer(self, target: bytes, body: bytes) -> tuple[int, bytes]:
        if target != TARGET_PREFIX + b"initiateauth":
            operation = target.rpartition(b".")[2].decode(errors="replace")
            return 400, _error("UnknownOperationException", f"Unknown operation {operation}")
        try:
            request = json.loads(body)
            flow = request["AuthFlow"]
            client_id = request["ClientId"]
            parameters = request.get("AuthParameters") or {}
        except (ValueError, KeyError, TypeError):
            return 400, _error("SerializationException", "Could not read the request.")
        if client_id != self.client_id:
            return 400, _error("ResourceNotFoundException", f"User pool client {client_id} does not exist.")
        username = parameters.get("USERNAME")
        if not isinstance(username, str) or not hmac.compare_digest(
            str(parameters.get("SECRET_HASH", "")), secret_hash(username, self.client_id, self.client_secret)
        ):
            return 400, _error("NotAuthorizedException", f"Unable to verify secret hash for client {client_id}")
        if flow == "USER_PASSWORD_AUTH":
            password = parameters.get("PASSWORD")
            if not isinstance(password, str) or (self.password is not None and password != self.password):
                return 400, _error("NotAuthorizedException", "Incorrect username or password.")
            return 200, self._tokens.authentication_result(username, with_refresh_token=True)
        if flow == "REFRESH_TOKEN_AUTH":
            if not parameters.get("REFRESH_TOKEN"):
                return 400, _error("NotAuthorizedException", "Invalid Refresh Token")
            return 200, self._tokens.authentication_result(username, with_refresh_token=False)
        return 400, _error("InvalidParameterException", f"Auth flow {flow} is not supported by this stand-in.")

    def _response(self, status: int, body: bytes, keep_alive: bool) -> bytes:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, email.utils.formatdate(now, usegmt=True).encode())
        return b"".join(
            [
                b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, b"Error")),
                b"Date: ",
                self._date[1],
                b"\r\n",
                b"Content-Type: application/x-amz-json-1.1\r\n",
                b"Content-Length: %d\r\n" % len(body),
                b"x-amzn-RequestId: ",
                str(uuid.uuid4()).encode(),
                b"\r\n",
                b"Connection: keep-alive\r\n\r\n" if keep_alive else b"Connection: close\r\n\r\n",
                body,
            ]
        )


def _error(code: str, message: str) -> bytes:
    return json.dumps({"__type": code, "message": message}).encode()


if __name__ == "__main__":  # ``python -m bench.standin_cognito``: the command line is in bench.standin_process
    from bench.standin_process import main

    sys.exit(main())
