"""Cognito's errors become ours (server/cognito_errors.py): each code its own, an unknown user the same
as a wrong password, transport failures 503 and 504, and never Cognito's words."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from server.cognito_errors import COGNITO_TO_OURS, from_exception
from server.errors import ApiError


def client_error(code: str, status: int = 400, message: str = "User alice@example.com does x") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


@pytest.mark.parametrize(
    "cognito_code,ours,status",
    [
        ("NotAuthorizedException", "NotAuthorized", 401),
        ("UserNotFoundException", "NotAuthorized", 401),
        ("UserNotConfirmedException", "UserNotConfirmed", 403),
        ("UsernameExistsException", "UsernameExists", 409),
        ("CodeMismatchException", "CodeMismatch", 400),
        ("ExpiredCodeException", "ExpiredCode", 400),
        ("InvalidPasswordException", "InvalidPassword", 400),
        ("InvalidParameterException", "InvalidParameter", 400),
        ("TooManyRequestsException", "TooManyRequests", 429),
        ("LimitExceededException", "LimitExceeded", 429),
    ],
)
def test_cognito_codes_map_to_ours(cognito_code, ours, status):
    error = from_exception("SignUp", client_error(cognito_code))
    assert (error.code, error.status) == (ours, status)
    assert "alice" not in error.message  # Cognito's text is never passed on
    if status == 429:
        assert error.retry_after and error.retry_after > 0


def test_unknown_user_and_wrong_password_are_the_same_error():
    wrong = from_exception("InitiateAuth", client_error("NotAuthorizedException"))
    unknown = from_exception("InitiateAuth", client_error("UserNotFoundException"))
    assert (wrong.code, wrong.status, wrong.message) == (unknown.code, unknown.status, unknown.message)


def test_unexpected_cognito_errors_are_internal_or_bad_gateway():
    assert from_exception("SignUp", client_error("SomethingNew")).status == 502
    assert from_exception("SignUp", client_error("SomethingNew", status=500)).code == "CognitoError"
    # A bare 503 or 504 (a load balancer's, not Cognito's JSON) keeps its meaning.
    assert from_exception("SignUp", client_error("SomethingNew", status=503)).code == "CognitoUnavailable"
    assert from_exception("SignUp", client_error("SomethingNew", status=504)).code == "CognitoTimeout"
    assert from_exception("SignUp", client_error("InternalErrorException", status=500)).status == 502


def test_transport_failures_map_to_503_and_504():
    assert from_exception("SignUp", EndpointConnectionError(endpoint_url="http://x")).status == 503
    assert from_exception("SignUp", ConnectTimeoutError(endpoint_url="http://x")).status == 503
    assert from_exception("SignUp", ReadTimeoutError(endpoint_url="http://x")).status == 504
    assert from_exception("SignUp", ParamValidationError(report="too short")).status == 400
    assert from_exception("SignUp", RuntimeError("boom")).code == "InternalError"


def test_every_mapped_code_is_in_the_catalogue():
    for ours in COGNITO_TO_OURS.values():
        ApiError(ours)  # raises KeyError for a code missing from the catalogue
