"""Whatever Cognito answers about an account, the server answers the same, over real HTTP against a
stand-in Cognito: a code request (resendCode, forgotPassword) with a simulated delivery, Cognito's
alternative InvalidParameterException for an unknown user, the refusals only an account can meet
(already confirmed, disabled, no verified email, too many codes, a code that could not be sent, the
daily email quota); a code check (confirmAccount, confirmForgotPassword) with any refusal. Only the
service's own failures are said as they are. And the answers take UNIFORM_ANSWER_SECONDS from their
start, however fast or slow (below it) Cognito was, whichever Cognito it is."""

from __future__ import annotations

import time

import pytest

from server.config import load_config
from tests.support import PASSWORD, STAND_IN_POOL, Client, StandInCognito, serve_app

DELIVERY = {"message": "OK", "delivery": {"destination": "s***@e***", "medium": "EMAIL"}}
DAILY_EMAIL_LIMIT = "Exceeded daily email limit for the operation or the account."
# What Cognito may answer a code request with: (status, body), as its JSON protocol sends them.
CODE_REQUEST_ANSWERS = {
    "a code sent": (
        200,
        {"CodeDeliveryDetails": {"Destination": "s***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}},
    ),
    "a simulated delivery": (
        200,
        {"CodeDeliveryDetails": {"Destination": "S***@E***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}},
    ),
    "nothing": (200, {}),
    "the alternative to a simulated delivery": (
        400,
        {"__type": "InvalidParameterException", "message": "Cognito's words"},
    ),
    "already confirmed": (400, {"__type": "InvalidParameterException", "message": "User is already confirmed."}),
    "no verified email": (400, {"__type": "InvalidParameterException", "message": "no registered/verified email"}),
    "not in a state to reset": (400, {"__type": "NotAuthorizedException", "message": "Cognito's words"}),
    "no such user (LEGACY)": (400, {"__type": "UserNotFoundException", "message": "Cognito's words"}),
    "too many codes": (400, {"__type": "LimitExceededException", "message": "Attempt limit exceeded"}),
    "the daily quota": (400, {"__type": "LimitExceededException", "message": DAILY_EMAIL_LIMIT}),
    "not delivered": (400, {"__type": "CodeDeliveryFailureException", "message": "Cognito's words"}),
    "a pool rule": (400, {"__type": "UserLambdaValidationException", "message": "Cognito's words"}),
}
CODE_REFUSALS = [
    "CodeMismatchException",
    "ExpiredCodeException",
    "NotAuthorizedException",
    "UserNotFoundException",
    "LimitExceededException",
    "TooManyFailedAttemptsException",
    "InvalidParameterException",
    "UserNotConfirmedException",
    "AliasExistsException",
    "UserLambdaValidationException",
]
CODE_CHECKS = {
    "confirmAccount": ("ConfirmSignUp", {"conf_code": "123456", "pass": PASSWORD}),
    "confirmForgotPassword": ("ConfirmForgotPassword", {"conf_code": "123456", "new_pass": PASSWORD}),
}
SERVICE_FAILURES = [  # (Cognito's status and code, our status and code)
    ((400, "TooManyRequestsException"), (429, "TooManyRequests")),
    ((500, "InternalErrorException"), (502, "CognitoError")),
    ((403, "ForbiddenException"), (403, "RequestBlocked")),
]


@pytest.fixture(scope="module")
def cognito():
    stand_in = StandInCognito()
    server = serve_app(
        load_config(
            {
                **STAND_IN_POOL,
                "COGNITO_ENDPOINT_URL": stand_in.url,
                "COGNITO_MAX_ATTEMPTS": "1",
                "RATE_LIMIT_PER_ADDRESS": "off",
                "RATE_LIMIT_PER_USER": "off",
            }
        )
    )
    stand_in.client = Client(server.url)
    yield stand_in
    server.stop()
    stand_in.stop()


def reply_of(client: Client, method: str, **fields) -> tuple[int, dict]:
    reply = client.call(method, user="sam@example.com", **fields)
    return reply.status, reply.json


@pytest.mark.parametrize(
    "method,operation", [("resendCode", "ResendConfirmationCode"), ("forgotPassword", "ForgotPassword")]
)
def test_every_answer_cognito_gives_a_code_request_is_one_answer(cognito, method, operation):
    replies = {}
    for name, (status, body) in CODE_REQUEST_ANSWERS.items():
        cognito.answer(operation, status, body)
        replies[name] = reply_of(cognito.client, method)
    assert replies == dict.fromkeys(CODE_REQUEST_ANSWERS, (200, DELIVERY)), replies


@pytest.mark.parametrize("method", sorted(CODE_CHECKS))
def test_every_refusal_of_a_code_is_one_answer(cognito, method):
    operation, fields = CODE_CHECKS[method]
    replies = {}
    for code in CODE_REFUSALS:
        cognito.fail(operation, code, message="Cognito's words about sam@example.com")
        replies[code] = reply_of(cognito.client, method, **fields)
    first = replies[CODE_REFUSALS[0]]
    assert first[0] == 400 and first[1]["error"] == "CodeMismatch"
    assert replies == dict.fromkeys(CODE_REFUSALS, first), replies
    assert "Cognito's words" not in str(first)


def test_a_new_password_the_pool_refuses_is_said_so(cognito):
    cognito.fail("ConfirmForgotPassword", "InvalidPasswordException")
    status, body = reply_of(cognito.client, "confirmForgotPassword", conf_code="123456", new_pass="short")
    assert (status, body["error"]) == (400, "InvalidPassword")


@pytest.mark.parametrize(
    "method,operation,fields",
    [
        ("resendCode", "ResendConfirmationCode", {}),
        ("forgotPassword", "ForgotPassword", {}),
        ("confirmAccount", "ConfirmSignUp", CODE_CHECKS["confirmAccount"][1]),
        ("confirmForgotPassword", "ConfirmForgotPassword", CODE_CHECKS["confirmForgotPassword"][1]),
    ],
)
def test_the_service_failing_is_said_as_it_is(cognito, method, operation, fields):
    for (cognito_status, cognito_code), (status, code) in SERVICE_FAILURES:
        cognito.fail(operation, cognito_code, status=cognito_status)
        reply = reply_of(cognito.client, method, **fields)
        assert (reply[0], reply[1]["error"]) == (status, code), reply


# --- the time an answer takes ------------------------------------------------------------------------

FLOOR = 0.4


@pytest.fixture(scope="module")
def floored():
    """A server on a stand-in Cognito whose answers are floored at FLOOR seconds."""
    stand_in = StandInCognito()
    server = serve_app(
        load_config(
            {
                **STAND_IN_POOL,
                "COGNITO_ENDPOINT_URL": stand_in.url,
                "COGNITO_MAX_ATTEMPTS": "1",
                "RATE_LIMIT_PER_ADDRESS": "off",
                "RATE_LIMIT_PER_USER": "off",
                "UNIFORM_ANSWER_SECONDS": str(FLOOR),
            }
        )
    )
    stand_in.client = Client(server.url)
    yield stand_in
    server.stop()
    stand_in.stop()


def timed(client: Client, method: str, **fields) -> tuple[float, int]:
    started = time.perf_counter()
    status, _ = reply_of(client, method, **fields)
    return time.perf_counter() - started, status


def test_a_quick_and_a_slow_cognito_answer_end_at_the_same_time(floored):
    """Cognito's simulated delivery comes at once; a real one, which sends an email, takes longer.
    Both are answered FLOOR seconds after the request began: the padding is counted from the start,
    not added after Cognito's answer."""
    floored.answer("ForgotPassword", 200, CODE_REQUEST_ANSWERS["a simulated delivery"][1])
    quick, quick_status = timed(floored.client, "forgotPassword")
    floored.answer("ForgotPassword", 200, CODE_REQUEST_ANSWERS["a code sent"][1], delay=FLOOR / 2)
    slow, slow_status = timed(floored.client, "forgotPassword")
    assert quick_status == slow_status == 200
    assert FLOOR <= quick < FLOOR * 1.4 and FLOOR <= slow < FLOOR * 1.4, (quick, slow)
    assert abs(slow - quick) < FLOOR / 4, (quick, slow)


def test_a_refused_code_and_a_service_failure_wait_as_long(floored):
    floored.fail("ConfirmSignUp", "NotAuthorizedException")
    refused, status = timed(floored.client, "confirmAccount", **CODE_CHECKS["confirmAccount"][1])
    assert status == 400 and FLOOR <= refused < FLOOR * 1.4
    floored.fail("ResendConfirmationCode", "TooManyRequestsException")
    busy, status = timed(floored.client, "resendCode")
    assert status == 429 and busy >= FLOOR


def test_other_methods_are_not_held_back(floored):
    floored.fail("InitiateAuth", "NotAuthorizedException")
    seconds, status = timed(floored.client, "signIn", **{"pass": PASSWORD})
    assert status == 401 and seconds < FLOOR / 2
