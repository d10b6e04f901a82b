"""Cognito failing, over real HTTP on both sides: down (refusing connections, or never completing
the TCP handshake), slow, throttling, failing with 5xx. What the server answers, how long it takes,
that it serves normally again once Cognito recovers, and that faults leave no tasks or sockets behind.

The server runs in real-pool mode against ``FaultyCognito``, a stand-in on a port of its own that a
test switches between answering normally, answering a fault, and being down.

Bounds. ``server/cognito.py`` makes up to COGNITO_MAX_ATTEMPTS attempts: a call that never reached
Cognito is tried again whatever it is; one that may have (a timeout, a reset, a 5xx, throttling)
only when it is repeatable (sign-in, reads). Before attempt n + 1 it sleeps at most
FIRST_BACKOFF × 2^(n - 1) seconds. A call therefore ends within attempts × (connect timeout + read
timeout) + the sum of those sleeps, plus SLACK for HTTP both ways on a shared 2-core machine.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import http.client
import json
import os
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
from server.config import load_config
from server.errors import CATALOGUE
from tests.support import PASSWORD, STAND_IN_POOL, Client, issued_access_token, serve_app

CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 1.0
MAX_ATTEMPTS = 2
# The sleeps before attempts 2..MAX_ATTEMPTS, each at most FIRST_BACKOFF × 2^(attempt - 1) seconds.
BACKOFF_BOUND = float(sum(FIRST_BACKOFF * 2 ** (attempt - 1) for attempt in range(1, MAX_ATTEMPTS)))
SLACK = 1.0
# The longest a faulty call may take: every attempt times out on connect or on read, plus the sleeps.
CALL_BOUND = MAX_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + BACKOFF_BOUND + SLACK
SLOW_ANSWER = 3.0  # seconds the stand-in sits on a request when told to be slow

POOL = {**STAND_IN_POOL,
        "COGNITO_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT), "COGNITO_READ_TIMEOUT": str(READ_TIMEOUT),
        "COGNITO_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        # Many sign-ins from one address and one user are the point here, not something to limit.
        "RATE_LIMIT_PER_ADDRESS": "off", "RATE_LIMIT_PER_USER": "off"}
SIGN_IN = {"env": "signIn", "user": "sam@example.com", "pass": PASSWORD}


def cognito_error(code: str, status: int = 400) -> tuple[int, bytes, dict[str, str]]:
    """An error answer as Cognito sends it: the code in ``__type`` and in x-amzn-ErrorType."""
    return (status, json.dumps({"__type": code, "message": "Cognito's own words"}).encode(),
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": f"{code}:"})


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
                        self.write(body[start:start + piece])
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
    return {"AuthenticationResult": {"AccessToken": issued_access_token(), "IdToken": "the-id-token",
                                     "RefreshToken": "the-refresh-token", "ExpiresIn": 3600,
                                     "TokenType": "Bearer"}}


@pytest.fixture
def cognito():
    stand_in = FaultyCognito()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def serve_against(tmp_path):
    """Start a server in real-pool mode against a stand-in, with POOL's settings and ``overrides``."""
    servers: list[BackgroundServer] = []

    def serve(stand_in: FaultyCognito, **overrides: str) -> BackgroundServer:
        env = dict(POOL, COGNITO_ENDPOINT_URL=stand_in.url, PHOTOS_DATA=str(tmp_path / "photos"), **overrides)
        servers.append(serve_app(load_config(env)))
        return servers[-1]

    yield serve
    for server in servers:
        server.stop()


def timed_request(server: BackgroundServer, method: str, path: str, payload: dict | None = None,
                  within: float = CALL_BOUND + SLACK) -> tuple[int, dict, http.client.HTTPMessage, float]:
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


# --- Cognito down ---------------------------------------------------------------------------------

def test_a_refusing_cognito_is_503_without_waiting_for_the_connect_timeout(cognito, serve_against):
    # A long connect timeout: a refused connect must not wait for it, only for botocore's sleep.
    server = serve_against(cognito, COGNITO_CONNECT_TIMEOUT="5")
    cognito.refuse_connections()
    status, body, _, seconds = sign_in(server)
    assert_error(status, body, 503, "CognitoUnavailable")
    assert seconds < BACKOFF_BOUND + SLACK < 5


def test_a_silent_cognito_is_503_after_the_connect_timeout_of_every_attempt(cognito, serve_against):
    server = serve_against(cognito)
    cognito.stop_completing_handshakes()
    status, body, _, seconds = sign_in(server)
    assert_error(status, body, 503, "CognitoUnavailable")
    # Each attempt waited its whole connect timeout (so there were MAX_ATTEMPTS), and no longer.
    assert MAX_ATTEMPTS * CONNECT_TIMEOUT - 0.05 <= seconds < MAX_ATTEMPTS * CONNECT_TIMEOUT + BACKOFF_BOUND + SLACK


# --- Cognito slow ---------------------------------------------------------------------------------

def test_a_slow_cognito_is_504_after_the_read_timeout_of_every_attempt(cognito, serve_against):
    server = serve_against(cognito)
    cognito.answer_slowly(SLOW_ANSWER)
    status, body, _, seconds = sign_in(server)
    assert_error(status, body, 504, "CognitoTimeout")
    assert cognito.operations == ["InitiateAuth"] * MAX_ATTEMPTS
    assert MAX_ATTEMPTS * READ_TIMEOUT - 0.05 <= seconds < MAX_ATTEMPTS * READ_TIMEOUT + BACKOFF_BOUND + SLACK


def test_a_trickling_cognito_is_504_within_the_bound(cognito, serve_against):
    """The read timeout bounds each wait for the next bytes; an answer that keeps coming a few bytes
    at a time must still not hold a request longer than a call may take."""
    timeout = 0.5
    call_bound = MAX_ATTEMPTS * (timeout + timeout) + BACKOFF_BOUND + SLACK
    server = serve_against(cognito, COGNITO_CONNECT_TIMEOUT=str(timeout), COGNITO_READ_TIMEOUT=str(timeout))
    cognito.answer_in_trickles(every=timeout / 2, in_all=3 * call_bound)
    status, body, _, seconds = sign_in(server, within=call_bound)
    assert_error(status, body, 504, "CognitoTimeout")


def test_a_slow_sign_up_is_not_sent_again(cognito, serve_against):
    """SignUp is not idempotent: sent again once Cognito has made the account, it answers
    UsernameExists about the account that very request made. After a read timeout nobody knows
    whether Cognito has it, so the server must say so (504) rather than ask a second time."""
    server = serve_against(cognito)
    cognito.answer_slowly(SLOW_ANSWER)
    status, body, _, seconds = timed_request(
        server, "POST", "/", {"env": "createAccount", "user": "new@example.com", "pass": PASSWORD})
    assert_error(status, body, 504, "CognitoTimeout")
    assert cognito.operations == ["SignUp"]
    assert READ_TIMEOUT - 0.05 <= seconds < READ_TIMEOUT + SLACK


@pytest.mark.parametrize("env,operation,attempts", [
    ("createAccount", "SignUp", 1),  # not repeatable: a reset may have come after Cognito made the account
    ("signIn", "InitiateAuth", MAX_ATTEMPTS),  # repeatable: asking again changes nothing
])
def test_a_connection_reset_after_the_call_arrived_is_retried_only_when_repeatable(
        cognito, serve_against, env, operation, attempts):
    server = serve_against(cognito)
    cognito.reset_after_reading()
    status, body, _, _ = timed_request(server, "POST", "/", {"env": env, "user": "new@example.com", "pass": PASSWORD})
    assert_error(status, body, 503, "CognitoUnavailable")
    assert cognito.operations == [operation] * attempts
    cognito.recover()
    assert_signs_in(server)


# --- Cognito answering errors ---------------------------------------------------------------------

@pytest.mark.parametrize("answer", [
    THROTTLED,
    cognito_error("ThrottlingException"),
], ids=["TooManyRequestsException", "ThrottlingException"])
def test_throttling_is_429_with_retry_after(cognito, serve_against, answer):
    server = serve_against(cognito)
    cognito.fail_with(answer)
    status, body, headers, seconds = sign_in(server)
    assert_error(status, body, 429, "TooManyRequests")
    assert headers["Retry-After"] == "1"
    # botocore counts throttling as retryable: Cognito was asked MAX_ATTEMPTS times, not more.
    assert cognito.operations == ["InitiateAuth"] * MAX_ATTEMPTS
    assert seconds < BACKOFF_BOUND + SLACK


@pytest.mark.parametrize("answer,expected_status,code", [
    (INTERNAL_ERROR, 502, "CognitoError"),
    (BARE_500, 502, "CognitoError"),
    (bare_answer(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html"),
     502, "CognitoError"),
    (SERVICE_UNAVAILABLE, 503, "CognitoUnavailable"),
    (cognito_error("ServiceUnavailableException", 503), 503, "CognitoUnavailable"),
    # A load balancer's own 503: Cognito cannot be reached, whatever the body says.
    (bare_answer(503, b"<html><body><b>Http/1.1 Service Unavailable</b></body></html>", "text/html"),
     503, "CognitoUnavailable"),
], ids=["InternalErrorException", "bare-500-text", "bare-500-html", "ServiceUnavailable",
        "ServiceUnavailableException", "bare-503-html"])
def test_cognito_5xx_is_502_or_503_after_every_attempt(cognito, serve_against, answer, expected_status, code):
    server = serve_against(cognito)
    cognito.fail_with(answer)
    status, body, _, seconds = sign_in(server)
    assert_error(status, body, expected_status, code)
    # botocore retries every 5xx, InitiateAuth included.
    assert cognito.operations == ["InitiateAuth"] * MAX_ATTEMPTS
    assert seconds < BACKOFF_BOUND + SLACK


def test_one_attempt_means_no_retry(cognito, serve_against):
    server = serve_against(cognito, COGNITO_MAX_ATTEMPTS="1")
    cognito.fail_with(INTERNAL_ERROR)
    status, body, _, _ = sign_in(server)
    assert_error(status, body, 502, "CognitoError")
    assert cognito.operations == ["InitiateAuth"]


# --- health checks --------------------------------------------------------------------------------

def test_readyz_follows_cognito_and_healthz_does_not(cognito, serve_against):
    server = serve_against(cognito)

    def assert_alive():
        status, body, _, seconds = timed_request(server, "GET", "/healthz")
        assert (status, body) == (200, {"status": "alive"}) and seconds < 0.5

    def readyz():
        return timed_request(server, "GET", "/readyz")

    assert readyz()[:2] == (200, {"status": "ready"}) and cognito.jwks_fetches == 1
    assert_alive()

    cognito.refuse_connections()
    status, body, _, seconds = readyz()
    assert_error(status, body, 503, "CognitoUnavailable")
    assert seconds < SLACK
    assert_alive()
    cognito.recover()
    assert readyz()[:2] == (200, {"status": "ready"})

    cognito.stop_completing_handshakes()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(readyz)
        time.sleep(0.2)
        assert_alive()  # while /readyz waits on the silent Cognito
        status, body, _, seconds = waiting.result()
    assert_error(status, body, 503, "CognitoUnavailable")
    assert CONNECT_TIMEOUT - 0.05 <= seconds < CONNECT_TIMEOUT + SLACK
    cognito.recover()
    assert readyz()[:2] == (200, {"status": "ready"})
    assert_alive()


# --- recovery, and nothing left behind ------------------------------------------------------------

CONCURRENT_FAULTS = 20
ROUNDS = 3
# Timing is not the point here (the tests above prove it): shorter timeouts keep the rounds quick.
LEAK_TEST_TIMEOUT = 0.5
# (name, how the stand-in fails, the server's answer)
FAULTS = [
    ("refused", FaultyCognito.refuse_connections, (503, "CognitoUnavailable")),
    ("silent", FaultyCognito.stop_completing_handshakes, (503, "CognitoUnavailable")),
    ("slow", lambda stand_in: stand_in.answer_slowly(3 * LEAK_TEST_TIMEOUT), (504, "CognitoTimeout")),
    ("throttled", lambda stand_in: stand_in.fail_with(THROTTLED), (429, "TooManyRequests")),
    ("internal error", lambda stand_in: stand_in.fail_with(INTERNAL_ERROR), (502, "CognitoError")),
    ("bare 500", lambda stand_in: stand_in.fail_with(BARE_500), (502, "CognitoError")),
    ("service unavailable", lambda stand_in: stand_in.fail_with(SERVICE_UNAVAILABLE), (503, "CognitoUnavailable")),
]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def task_count(server: BackgroundServer) -> int:
    async def count() -> int:
        return len(asyncio.all_tasks())

    # all_tasks belongs to the loop that runs the tasks: ask from inside it.
    return asyncio.run_coroutine_threadsafe(count(), server.loop).result(timeout=5)


def settled(measure, target: int, seconds: float = 5.0) -> int:
    """``measure()`` once it is at most ``target``, or its last value after ``seconds``: closed
    connections take a moment to be noticed on both sides."""
    deadline = time.monotonic() + seconds
    value = measure()
    while value > target and time.monotonic() < deadline:
        time.sleep(0.1)
        value = measure()
    return value


def test_after_every_fault_the_server_serves_again_and_keeps_no_tasks_or_sockets(cognito, serve_against):
    """Rounds of CONCURRENT_FAULTS faulty sign-ins of every kind, each followed by a sign-in that
    works. botocore's retry quota (500 units, 5 a retry, 10 after a timeout) runs out during the
    first round, so later rounds make almost only single attempts: the answers stay the same."""
    # Every connection to the stand-in closes after its answer, so sockets come back to the
    # baseline instead of staying in the client's keep-alive pool (12 s): a socket a fault leaves
    # open then shows as growth.
    cognito.keep_alive = False
    server = serve_against(cognito, COGNITO_CONNECT_TIMEOUT=str(LEAK_TEST_TIMEOUT),
                           COGNITO_READ_TIMEOUT=str(LEAK_TEST_TIMEOUT))
    assert_signs_in(server)
    assert timed_request(server, "GET", "/readyz")[0] == 200  # its HTTP client exists from here on
    time.sleep(0.2)  # the sign-in's connections finish closing
    gc.collect()  # sockets earlier tests dropped close now, not in the middle of the count
    baseline_fds = open_fds()
    baseline_tasks = task_count(server)

    with concurrent.futures.ThreadPoolExecutor(CONCURRENT_FAULTS) as pool:
        for round_number in range(ROUNDS):
            for name, make_fault, (expected_status, code) in FAULTS:
                make_fault(cognito)
                replies = [pool.submit(sign_in, server) for _ in range(CONCURRENT_FAULTS)]
                status, body, _, seconds = timed_request(server, "GET", "/healthz")
                assert status == 200 and seconds < 0.5, f"{name}: /healthz took {seconds:.2f} s"
                for reply in replies:
                    status, body, _, _ = reply.result()
                    assert (status, body.get("error")) == (expected_status, code), (name, round_number, body)
                cognito.recover()
                assert_signs_in(server)
            fds = settled(open_fds, baseline_fds)
            assert fds <= baseline_fds, f"round {round_number + 1}: {fds - baseline_fds} more open fds"

    assert settled(lambda: task_count(server), baseline_tasks) <= baseline_tasks
    assert settled(open_fds, baseline_fds) <= baseline_fds
    assert timed_request(server, "GET", "/readyz")[:2] == (200, {"status": "ready"})
