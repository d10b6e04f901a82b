"""Cognito answering errors, over real HTTP on both sides (server/cognito.py, server/cognito_errors.py):
throttling, its 5xx and a load balancer's, each after every attempt and within the bound (see
tests/support/faulty_cognito.py), and never in Cognito's words."""

from __future__ import annotations

import pytest

from tests.support.faulty_cognito import (
    BACKOFF_BOUND,
    BARE_500,
    INTERNAL_ERROR,
    MAX_ATTEMPTS,
    SERVICE_UNAVAILABLE,
    SLACK,
    THROTTLED,
    assert_error,
    bare_answer,
    cognito_error,
    sign_in,
)


@pytest.mark.parametrize(
    "answer",
    [
        THROTTLED,
        cognito_error("ThrottlingException"),
    ],
    ids=["TooManyRequestsException", "ThrottlingException"],
)
def test_throttling_is_429_with_retry_after(cognito, serve_against, answer):
    server = serve_against(cognito)
    cognito.fail_with(answer)
    status, body, headers, seconds = sign_in(server)
    assert_error(status, body, 429, "TooManyRequests")
    assert headers["Retry-After"] == "1"
    # botocore counts throttling as retryable: Cognito was asked MAX_ATTEMPTS times, not more.
    assert cognito.operations == ["InitiateAuth"] * MAX_ATTEMPTS
    assert seconds < BACKOFF_BOUND + SLACK


@pytest.mark.parametrize(
    "answer,expected_status,code",
    [
        (INTERNAL_ERROR, 502, "CognitoError"),
        (BARE_500, 502, "CognitoError"),
        (
            bare_answer(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html"),
            502,
            "CognitoError",
        ),
        (SERVICE_UNAVAILABLE, 503, "CognitoUnavailable"),
        (cognito_error("ServiceUnavailableException", 503), 503, "CognitoUnavailable"),
        # A load balancer's own 503: Cognito cannot be reached, whatever the body says.
        (
            bare_answer(503, b"<html><body><b>Http/1.1 Service Unavailable</b></body></html>", "text/html"),
            503,
            "CognitoUnavailable",
        ),
    ],
    ids=[
        "InternalErrorException",
        "bare-500-text",
        "bare-500-html",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "bare-503-html",
    ],
)
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
