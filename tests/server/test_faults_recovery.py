"""After Cognito's faults: /readyz follows Cognito while /healthz does not, the server serves normally
again once Cognito recovers, and the faults leave no tasks or sockets behind."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import os
import time

from server.background import BackgroundServer
from tests.support.faulty_cognito import (
    BARE_500,
    CONNECT_TIMEOUT,
    INTERNAL_ERROR,
    SERVICE_UNAVAILABLE,
    SLACK,
    THROTTLED,
    FaultyCognito,
    assert_error,
    assert_signs_in,
    sign_in,
    timed_request,
)


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
# Timing is not the point here (the other fault tests prove it): shorter timeouts keep the rounds quick.
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
    server = serve_against(
        cognito, COGNITO_CONNECT_TIMEOUT=str(LEAK_TEST_TIMEOUT), COGNITO_READ_TIMEOUT=str(LEAK_TEST_TIMEOUT)
    )
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
