"""Cognito down or slow, over real HTTP on both sides (server/cognito.py): refusing connections, never
completing the TCP handshake, answering late or a few bytes at a time, resetting the connection once
the call has arrived. What the server answers, how long it takes (see tests/support/faulty_cognito.py
for the bounds), and which calls it sends again."""

from __future__ import annotations

import pytest

from tests.support import PASSWORD
from tests.support.faulty_cognito import (
    BACKOFF_BOUND,
    CONNECT_TIMEOUT,
    MAX_ATTEMPTS,
    READ_TIMEOUT,
    SLACK,
    SLOW_ANSWER,
    assert_error,
    assert_signs_in,
    sign_in,
    timed_request,
)


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
        server, "POST", "/", {"env": "createAccount", "user": "new@example.com", "pass": PASSWORD}
    )
    assert_error(status, body, 504, "CognitoTimeout")
    assert cognito.operations == ["SignUp"]
    assert READ_TIMEOUT - 0.05 <= seconds < READ_TIMEOUT + SLACK


@pytest.mark.parametrize(
    "env,operation,attempts",
    [
        ("createAccount", "SignUp", 1),  # not repeatable: a reset may have come after Cognito made the account
        ("signIn", "InitiateAuth", MAX_ATTEMPTS),  # repeatable: asking again changes nothing
    ],
)
def test_a_connection_reset_after_the_call_arrived_is_retried_only_when_repeatable(
    cognito, serve_against, env, operation, attempts
):
    server = serve_against(cognito)
    cognito.reset_after_reading()
    status, body, _, _ = timed_request(server, "POST", "/", {"env": env, "user": "new@example.com", "pass": PASSWORD})
    assert_error(status, body, 503, "CognitoUnavailable")
    assert cognito.operations == [operation] * attempts
    cognito.recover()
    assert_signs_in(server)
