"""A stand-in for Cognito's user-pool API that answers InitiateAuth after a chosen latency.

The benchmark points every server under test at it (``COGNITO_ENDPOINT_URL``). Its modes make it
slow, throttled, failing or unreachable, to try a server's fault handling by hand
(tests/test_faults.py has a stand-in of its own, for faults it times). It shares the machine's cores with the
servers it serves, so it is a bare asyncio ``Protocol`` that parses only what botocore sends (HTTP/1.1
with keep-alive and ``Content-Length``) and answers with ``loop.call_later(latency, ...)``.

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

In a process of its own (what the benchmark does; stopped with its parent)::

    with start_process(latency=0.05) as standin:   # a StandinProcess
        standin.endpoint_url
        standin.set_mode("refuse")
        standin.request_count()

or from a shell: ``python -m bench.standin_cognito --port 9229 --latency 0.05``.

``POOL_ENV`` is the environment that points a server at it (add ``COGNITO_ENDPOINT_URL`` and
``COOKIE_SECRET``); ``CLIENT_ID`` and ``CLIENT_SECRET`` are the app client it expects.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import email.utils
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

DEFAULT_LATENCY = 0.05
DEFAULT_SLOW_SECONDS = 30.0
MODES = ("ok", "slow", "throttle", "throttling", "error", "refuse")

REGION = "us-east-1"
POOL_ID = "us-east-1_Bench0001"
CLIENT_ID = "4benchclient0000000000000"
CLIENT_SECRET = "bench-client-secret-0000000000000000000000000000000000"
POOL_ENV = {
    "COGNITO_REGION_NAME": REGION,
    "COGNITO_USER_POOL_ID": POOL_ID,
    "COGNITO_USER_CLIENT_ID": CLIENT_ID,
    "COGNITO_CLIENT_SECRET": CLIENT_SECRET,
}

TARGET_PREFIX = b"awscognitoidentityproviderservice."
# Requests are small JSON documents; a header block larger than this is not botocore talking.
MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024
# Tokens of one user are reused for this long: building them is most of an answer's cost.
TOKEN_REUSE_SECONDS = 60.0
MAX_CACHED_USERS = 10_000

REASONS = {200: b"OK", 400: b"Bad Request", 411: b"Length Required", 413: b"Payload Too Large",
           500: b"Internal Server Error"}
FAULTS = {
    "throttle": (400, "TooManyRequestsException", "Rate exceeded"),
    "throttling": (400, "ThrottlingException", "Rate exceeded"),
    "error": (500, "InternalErrorException", "An internal error occurred."),
}


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _filler(seed: str, size: int) -> bytes:
    """``size`` bytes that look random and are the same for the same ``seed``."""
    blocks = []
    counter = 0
    while sum(map(len, blocks)) < size:
        blocks.append(hashlib.sha256(f"{seed}:{counter}".encode()).digest())
        counter += 1
    return b"".join(blocks)[:size]


def _jwt(claims: dict[str, Any], kid: str) -> str:
    header = _b64url(json.dumps({"kid": kid, "alg": "RS256"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    # An RSA-2048 signature is 256 bytes; this one only has its size.
    return f"{header}.{payload}.{_b64url(_filler(payload, 256))}"


class TokenFactory:
    """Cognito-shaped tokens for a user, reused for ``TOKEN_REUSE_SECONDS``."""

    def __init__(self, region: str, pool_id: str, client_id: str):
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
        self.client_id = client_id
        self._cache: dict[tuple[str, bool], tuple[float, bytes]] = {}

    def authentication_result(self, username: str, with_refresh_token: bool) -> bytes:
        """The JSON body of a successful InitiateAuth."""
        now = time.time()
        cached = self._cache.get((username, with_refresh_token))
        if cached is not None and now - cached[0] < TOKEN_REUSE_SECONDS:
            return cached[1]
        if len(self._cache) >= MAX_CACHED_USERS:
            self._cache.clear()
        body = json.dumps({"AuthenticationResult": self._tokens(username, int(now), with_refresh_token),
                           "ChallengeParameters": {}}, separators=(",", ":")).encode()
        self._cache[(username, with_refresh_token)] = (now, body)
        return body

    def _tokens(self, username: str, now: int, with_refresh_token: bool) -> dict[str, Any]:
        sub = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.issuer}/{username.lower()}"))
        common = {"sub": sub, "iss": self.issuer, "origin_jti": str(uuid.uuid4()),
                  "event_id": str(uuid.uuid4()), "auth_time": now, "exp": now + 3600, "iat": now,
                  "jti": str(uuid.uuid4())}
        access = {**common, "client_id": self.client_id, "token_use": "access",
                  "scope": "aws.cognito.signin.user.admin", "username": sub}
        identity = {**common, "email_verified": True, "cognito:username": sub, "aud": self.client_id,
                    "token_use": "id", "email": username}
        result: dict[str, Any] = {
            "AccessToken": _jwt(access, "bench-access-key"),
            "ExpiresIn": 3600,
            "TokenType": "Bearer",
            "IdToken": _jwt(identity, "bench-id-key"),
        }
        if with_refresh_token:
            # Cognito's refresh token is a JWE (RSA-OAEP, A256GCM): five parts, about 1.7 KB.
            header = _b64url(b'{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}')
            parts = [_filler(sub + "key", 256), _filler(sub + "iv", 12), _filler(sub + "ct", 1000),
                     _filler(sub + "tag", 16)]
            result["RefreshToken"] = ".".join([header, *map(_b64url, parts)])
        return result


class _Connection(asyncio.Protocol):
    """One client connection: requests in, answers out in the same order."""

    def __init__(self, standin: "StandinCognito"):
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
            body = bytes(self.buffer[end + 4:end + 4 + length])
            del self.buffer[:end + 4 + length]
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

    def __init__(self, *, latency: float = DEFAULT_LATENCY, client_id: str = CLIENT_ID,
                 client_secret: str = CLIENT_SECRET, region: str = REGION, pool_id: str = POOL_ID,
                 password: str | None = None, mode: str = "ok", slow_seconds: float = DEFAULT_SLOW_SECONDS):
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
        self._server = await loop.create_server(lambda: _Connection(self), self.host, self.port,
                                                reuse_address=True, backlog=1024)
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
                str(parameters.get("SECRET_HASH", "")), secret_hash(username, self.client_id, self.client_secret)):
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
        return b"".join([
            b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, b"Error")),
            b"Date: ", self._date[1], b"\r\n",
            b"Content-Type: application/x-amz-json-1.1\r\n",
            b"Content-Length: %d\r\n" % len(body),
            b"x-amzn-RequestId: ", str(uuid.uuid4()).encode(), b"\r\n",
            b"Connection: keep-alive\r\n\r\n" if keep_alive else b"Connection: close\r\n\r\n",
            body,
        ])


def _error(code: str, message: str) -> bytes:
    return json.dumps({"__type": code, "message": message}).encode()


# --- in a process of its own -------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


class StandinProcess:
    """A stand-in running in a child process, controlled through the child's stdin and stdout."""

    def __init__(self, process: subprocess.Popen, host: str, port: int):
        self.process = process
        self.host = host
        self.port = port

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def _command(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline().strip()
        if not reply or reply.startswith("error"):
            raise RuntimeError(f"the stand-in Cognito refused {line!r}: {reply or 'it has exited'}")
        return reply

    def set_mode(self, mode: str) -> None:
        """Switch to ``mode`` (one of ``MODES``); returns once the stand-in has switched."""
        self._command(f"mode {mode}")

    def request_count(self) -> int:
        """Requests received since the start."""
        return int(self._command("count").split()[1])

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()  # type: ignore[union-attr]
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()

    def __enter__(self) -> "StandinProcess":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


def start_process(*, host: str = "127.0.0.1", port: int = 0, latency: float = DEFAULT_LATENCY,
                  password: str | None = None, mode: str = "ok",
                  slow_seconds: float = DEFAULT_SLOW_SECONDS) -> StandinProcess:
    """Start the stand-in in a child process (``python -m bench.standin_cognito``), listening when
    this returns. It stops when ``stop`` is called or when this process ends (its stdin closes)."""
    command = [sys.executable, "-m", "bench.standin_cognito", "--control", "--host", host, "--port", str(port),
               "--latency", str(latency), "--mode", mode, "--slow-seconds", str(slow_seconds)]
    if password is not None:
        command += ["--password", password]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                               cwd=ROOT)
    first = process.stdout.readline().split()  # type: ignore[union-attr]
    if first[:1] != ["listening"]:
        process.kill()
        process.wait()
        raise RuntimeError("the stand-in Cognito did not start")
    return StandinProcess(process, host, int(first[1]))


async def _serve(options: argparse.Namespace) -> None:
    standin = StandinCognito(latency=options.latency, password=options.password, mode=options.mode,
                             slow_seconds=options.slow_seconds)
    port = await standin.start(options.host, options.port)
    print(f"listening {port}", flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    if options.control:
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

        async def obey() -> None:
            # One command a line, one reply a line; the end of stdin (the parent has gone) stops it.
            while line := (await reader.readline()).decode().split():
                try:
                    if line[0] == "mode" and len(line) == 2:
                        await standin.set_mode(line[1])
                        reply = f"mode {standin.mode}"
                    elif line[0] == "count":
                        reply = f"count {standin.requests}"
                    else:
                        reply = f"error unknown command {' '.join(line)!r}"
                except ValueError as error:
                    reply = f"error {error}"
                print(reply, flush=True)
            stopping.set()

        control = asyncio.ensure_future(obey())
    await stopping.wait()
    await standin.stop()
    if options.control:
        control.cancel()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A stand-in Cognito answering InitiateAuth after a set latency.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed as 'listening PORT')")
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY, help="seconds before each answer")
    parser.add_argument("--password", default=None, help="the only password accepted (default: any)")
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--slow-seconds", type=float, default=DEFAULT_SLOW_SECONDS,
                        help="seconds before each answer in the slow mode")
    parser.add_argument("--control", action="store_true",
                        help="take commands on stdin ('mode NAME', 'count'); stop at its end")
    asyncio.run(_serve(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
