"""``FaultyCognito``, a stand-in Cognito that fails on demand, and what the fault tests measure with it.

A server in real-pool mode runs against ``FaultyCognito`` on a port of its own, which a test switches
between answering normally, answering a fault, and being down.

Bounds. ``server/cognito.py`` makes up to COGNITO_MAX_ATTEMPTS attempts: a call that never reached
Cognito is tried again whatever it is; one that may have (a timeout, a reset, a 5xx, throttling)
only when it is repeatable (sign-in, reads). Before attempt n + 1 it sleeps at most
FIRST_BACKOFF × 2^(n - 1) seconds. A call therefore ends within attempts × (connect timeout + read
timeout) + the sum of those sleeps, plus SLACK for HTTP both ways on a shared 2-core machine.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import select
import socket
import struct
import time
import uuid

import pytest
import tornado.iostream
import tornado.web

from server.background import BackgroundServer
from server.cognito import FIRST_BACKOFF
from server.errors import CATALOGUE
from tests.support.accounts import PASSWORD
from tests.support.http import Client
from tests.support.stand_ins import STAND_IN_POOL, issued_access_token

CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 1.0
MAX_ATTEMPTS = 2
# The sleeps before attempts 2..MAX_ATTEMPTS, each at most FIRST_BACKOFF × 2^(attempt - 1) seconds.
BACKOFF_BOUND = float(sum(FIRST_BACKOFF * 2 ** (attempt - 1) for attempt in range(1, MAX_ATTEMPTS)))
SLACK = 1.0
# The longest a faulty call may take: every attempt times out on connect or on read, plus the sleeps.
CALL_BOUND = MAX_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + BACKOFF_BOUND + SLACK
SLOW_ANSWER = 3.0  # seconds the stand-in sits on a request when told to be slow

POOL = {
    **STAND_IN_POOL,
    "COGNITO_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
    "COGNITO_READ_TIMEOUT": str(READ_TIMEOUT),
    "COGNITO_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    # Many sign-ins from one address and one user are the point here, not something to limit.
    "RATE_LIMIT_PER_ADDRESS": "off",
    "RATE_LIMIT_PER_USER": "off",
}
SIGN_IN = {"env": "signIn", "user": "sam@example.com", "pass": PASSWORD}


def cognito_error(code: str, status: int = 400) -> tuple[int, bytes, dict[str, str]]:
    """An error answer as Cognito sends it: the code in ``__type`` and in x-amzn-ErrorType."""
    return (
        status,
        json.dumps({"__type": code, "message": "Cognito's own words"}).encode(),
        {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": f"{code}:"},
    )


def bare_answer(status: int, body: bytes, content_type: str) -> tuple[int, bytes, dict[str, str]]:
    """An answer with no Cognito error code: what a load balancer or proxy in front sends."""
    return status, body, {"Content-Type": content_type}


THROTTLED = cognito_error("TooManyRequestsException")
INTERNAL_ERROR = cognito_error("InternalErrorException", 500)
BARE_500 = bare_answer(500, b"Internal Server Error", "text/plain")
SERVICE_UNAVAILABLE = cognito_error("ServiceUnavailable", 503)


def port_outside_the_ephemeral_range() -> int:
    """A free port below the kernel's range for automatic ports. While the stand-in is down its
    port is free, and one in that range could meanwhile become another socket's local port (even
    one of the server's own connects, which then connects to itself) instead of staying refused."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as port_range:
        first_ephemeral = int(port_range.read().split()[0])
    for port in random.sample(range(max(1024, first_ephemeral - 10000), first_ephemeral), 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below the ephemeral range")


class FaultyCognito:
    """A stand-in Cognito on a fixed port: answers InitiateAuth with tokens, every other operation
    with ``{}`` and ``GET /{pool}/.well-known/jwks.json`` with ``{"keys": []}``, until a test makes
    it answer a fault, answer slowly, refuse connections or stop completing TCP handshakes.
    ``recover`` makes it normal again, on the same port. Records the operations it was sent."""

    def __init__(self):
        self.port = port_outside_the_ephemeral_range()
        self.url = f"http://127.0.0.1:{self.port}"
        self.operations: list[str] = []
        self.jwks_fetches = 0
        self.fault: tuple[int, bytes, dict[str, str]] | None = None
        self.delay = 0.0
        self.trickle: tuple[float, float] | None = None  # (seconds between pieces, seconds in all)
        self.keep_alive = True
        self.reset = False  # read each request whole, then reset the connection instead of answering
        self._http: BackgroundServer | None = None
        self._silent_sockets: list[socket.socket] = []
        self._serve()

    def _serve(self) -> None:
        stand_in = self

        class Api(tornado.web.RequestHandler):
            async def post(self):
                operation = self.request.headers.get("X-Amz-Target", "").rpartition(".")[2]
                stand_in.operations.append(operation)
                if stand_in.reset:
                    connection = self.request.connection.stream.socket
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.request.connection.stream.close()
                    return
                if stand_in.delay:
                    await asyncio.sleep(stand_in.delay)
                stand_in.answer_headers(self)
                if stand_in.fault is not None:
                    status, body, headers = stand_in.fault
                    self.set_status(status)
                    for name, value in headers.items():
                        self.set_header(name, value)
                    self.finish(body)
                    return
                self.set_header("Content-Type", "application/x-amz-json-1.1")
                body = json.dumps(normal_answer(operation)).encode()
                if stand_in.trickle is None:
                    self.finish(body)
                    return
                every, in_all = stand_in.trickle
                self.set_header("Content-Length", str(len(body)))
                pieces = int(in_all / every)
                piece = len(body) // pieces + 1
                try:
                    for start in range(0, len(body), piece):
                        self.write(body[start : start + piece])
                        await self.flush()
                        await asyncio.sleep(every)
                except tornado.iostream.StreamClosedError:
                    return  # the server stopped waiting, as it should
                self.finish()

        class Jwks(tornado.web.RequestHandler):
            def get(self):
                stand_in.jwks_fetches += 1
                stand_in.answer_headers(self)
                self.finish({"keys": []})

        async def build(port: int):
            return tornado.web.Application([(r"/", Api), (r"/[^/]+/\.well-known/jwks\.json", Jwks)]), None

        self._http = BackgroundServer(build, self.port, name="faulty-cognito").start()

    def answer_headers(self, handler: tornado.web.RequestHandler) -> None:
        handler.set_header("x-amzn-RequestId", str(uuid.uuid4()))
        if not self.keep_alive:
            handler.set_header("Connection", "close")

    def fail_with(self, answer: tuple[int, bytes, dict[str, str]]) -> None:
        self.fault = answer

    def answer_slowly(self, seconds: float = SLOW_ANSWER) -> None:
        self.delay = seconds

    def reset_after_reading(self) -> None:
        """Read each request whole, then reset the connection: the call arrived, its answer is lost."""
        self.reset = True

    def answer_in_trickles(self, every: float, in_all: float) -> None:
        """Answer normally, a few bytes every ``every`` seconds, for ``in_all`` seconds."""
        self.trickle = (every, in_all)

    def refuse_connections(self) -> None:
        """Nothing listens on the port: every connect is refused at once."""
        self._stop_http()
        with socket.socket() as probe:
            probe.settimeout(1.0)
            with pytest.raises(ConnectionRefusedError):
                probe.connect(("127.0.0.1", self.port))

    def stop_completing_handshakes(self) -> None:
        """A listener on the port whose accept queue is full: Linux then drops further SYNs, so a
        connect waits in SYN_SENT until its own timeout, as with a host that has gone silent."""
        self._stop_http()
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(0)  # never accepted: the queue only fills
        self._silent_sockets = [listener]
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            self._silent_sockets.append(filler)
            filler.connect_ex(("127.0.0.1", self.port))
            if not select.select([], [filler], [], 0.2)[1]:
                break  # this handshake does not complete: the queue is full
        else:
            raise AssertionError("the accept queue never filled: cannot make a silent peer here")
        with socket.socket() as probe:
            probe.settimeout(0.3)
            with pytest.raises(TimeoutError):
                probe.connect(("127.0.0.1", self.port))

    def recover(self) -> None:
        self.fault = None
        self.delay = 0.0
        self.trickle = None
        self.reset = False
        if self._http is None:
            self._close_silent_sockets()
            self._serve()

    def _stop_http(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None

    def _close_silent_sockets(self) -> None:
        for sock in self._silent_sockets:
            sock.close()
        self._silent_sockets = []

    def stop(self) -> None:
        self._close_silent_sockets()
        self._stop_http()


def normal_answer(operation: str) -> dict:
    if operation != "InitiateAuth":
        return {}
    return {
        "AuthenticationResult": {
            "AccessToken": issued_access_token(),
            "IdToken": "the-id-token",
            "RefreshToken": "the-refresh-token",
            "ExpiresIn": 3600,
            "TokenType": "Bearer",
        }
    }


def timed_request(
    server: BackgroundServer, method: str, path: str, payload: dict | None = None, within: float = CALL_BOUND + SLACK
) -> tuple[int, dict, http.client.HTTPMessage, float]:
    """(status, JSON body, headers, seconds taken). Gives up after ``within`` seconds, so a timeout
    the server does not honour fails the test at the bound instead of hanging it."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=within)
    body = json.dumps(payload).encode() if payload is not None else None
    start = time.monotonic()
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
    except TimeoutError:
        raise AssertionError(f"{method} {path}: no answer within {within:.1f} s") from None
    finally:
        connection.close()
    return response.status, json.loads(raw), response.headers, time.monotonic() - start


def sign_in(server: BackgroundServer, **kwargs) -> tuple[int, dict, http.client.HTTPMessage, float]:
    return timed_request(server, "POST", "/", SIGN_IN, **kwargs)


def assert_error(status: int, body: dict, expected_status: int, code: str) -> None:
    assert (status, body.get("error")) == (expected_status, code), body
    assert body["message"] == CATALOGUE[code].message  # our sentence, never Cognito's words


def assert_signs_in(server: BackgroundServer) -> None:
    """signIn works: 200, the tokens, and the refresh cookie."""
    reply = Client(f"http://127.0.0.1:{server.port}").post(SIGN_IN)
    assert reply.status == 200, reply.body
    assert reply.json["id_token"] == "the-id-token" and reply.json["token_type"] == "Bearer"
    assert reply.json["access_token"] and reply.json["expires_in"] == 3600
    assert any(cookie.startswith("__Host-refresh=") for cookie in reply.set_cookies())
