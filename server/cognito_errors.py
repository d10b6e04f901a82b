"""The one place where Cognito's error codes become ours.

Cognito's own error text is never passed on: it can name users, echo input, or describe the pool.
Each Cognito code maps to one of our stable codes; a few (operation, code) pairs get a sentence of
their own, because "not authorized" means different things to the person who asked.
"""

from __future__ import annotations

import logging

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ParamValidationError,
    ReadTimeoutError,
)

from server.errors import ApiError

log = logging.getLogger("server.cognito")

COGNITO_TO_OURS = {
    "NotAuthorizedException": "NotAuthorized",
    # An unknown user answers exactly like a wrong password: no user enumeration.
    "UserNotFoundException": "NotAuthorized",
    "UserNotConfirmedException": "UserNotConfirmed",
    "PasswordResetRequiredException": "PasswordResetRequired",
    "UsernameExistsException": "UsernameExists",
    "AliasExistsException": "AliasExists",
    "CodeMismatchException": "CodeMismatch",
    "ExpiredCodeException": "ExpiredCode",
    "InvalidPasswordException": "InvalidPassword",
    "InvalidParameterException": "InvalidParameter",
    "TooManyRequestsException": "TooManyRequests",
    "ThrottlingException": "TooManyRequests",
    "LimitExceededException": "LimitExceeded",
    "TooManyFailedAttemptsException": "LimitExceeded",
    "InternalErrorException": "CognitoError",
    "ServiceUnavailable": "CognitoUnavailable",
    "ServiceUnavailableException": "CognitoUnavailable",
}

# Where an access token is the credential, "not authorized" means the token is no good.
_TOKEN_REFUSED = "The access token is invalid, expired or revoked. Sign in again, or call refresh."

MESSAGES = {
    ("ChangePassword", "NotAuthorized"):
        "The current password is wrong, or the access token is invalid, expired or revoked.",
    ("GetUser", "NotAuthorized"): _TOKEN_REFUSED,
    ("UpdateUserAttributes", "NotAuthorized"): _TOKEN_REFUSED,
    ("DeleteUser", "NotAuthorized"): _TOKEN_REFUSED,
    ("GlobalSignOut", "NotAuthorized"): _TOKEN_REFUSED,
    ("ConfirmSignUp", "NotAuthorized"): "This account cannot be confirmed: it is already confirmed.",
    ("ConfirmForgotPassword", "NotAuthorized"): "The password of this account cannot be reset.",
    ("ForgotPassword", "NotAuthorized"): "The password of this account cannot be reset.",
    ("ResendConfirmationCode", "NotAuthorized"): "This account cannot get a confirmation code.",
    ("UpdateUserAttributes", "InvalidParameter"): "One of the attributes has an invalid value.",
    ("SignUp", "InvalidParameter"): "The email or one of the attributes has an invalid value.",
}


def from_client_error(operation: str, error: ClientError) -> ApiError:
    """Our error for an error answer Cognito gave to ``operation``."""
    cognito_code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    ours = COGNITO_TO_OURS.get(cognito_code)
    if ours is None:
        ours = "CognitoError" if status >= 500 else "InternalError"
        # Not shown to the client; the server's log keeps it for whoever runs the server.
        log.error("Cognito %s answered %s (HTTP %s): %s", operation, cognito_code, status,
                  error.response.get("Error", {}).get("Message", ""))
    return ApiError(ours, MESSAGES.get((operation, ours)))


def from_exception(operation: str, error: Exception) -> ApiError:
    """Our error for anything that went wrong while calling ``operation``."""
    if isinstance(error, ClientError):
        return from_client_error(operation, error)
    if isinstance(error, ReadTimeoutError):
        return ApiError("CognitoTimeout")
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError, HTTPClientError)):
        return ApiError("CognitoUnavailable")
    if isinstance(error, ParamValidationError):
        # botocore's own checks (lengths, patterns) caught a value Cognito would refuse.
        return ApiError("InvalidParameter")
    log.error("Calling Cognito %s failed: %r", operation, error)
    return ApiError("InternalError")
