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
    CredentialRetrievalError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
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
    # GetTokensFromRefreshToken: the refresh token was rotated out and its grace period is over.
    "RefreshTokenReuseException": "SessionExpired",
    "UsernameExistsException": "UsernameExists",
    "AliasExistsException": "AliasExists",
    "CodeMismatchException": "CodeMismatch",
    # VerifySoftwareToken's word for a wrong authenticator-app code.
    "EnableSoftwareTokenMFAException": "CodeMismatch",
    "SoftwareTokenMFANotFoundException": "MfaNotSetUp",
    "ExpiredCodeException": "ExpiredCode",
    "InvalidPasswordException": "InvalidPassword",
    "InvalidParameterException": "InvalidParameter",
    "TooManyRequestsException": "TooManyRequests",
    "ThrottlingException": "TooManyRequests",
    "LimitExceededException": "LimitExceeded",
    "TooManyFailedAttemptsException": "LimitExceeded",
    # The server's AWS credentials (for admin calls) are missing, wrong, expired or not allowed.
    "MissingAuthenticationTokenException": "AdminUnavailable",
    "UnrecognizedClientException": "AdminUnavailable",
    "InvalidSignatureException": "AdminUnavailable",
    "ExpiredTokenException": "AdminUnavailable",
    "AccessDeniedException": "AdminUnavailable",
    "InternalErrorException": "CognitoError",
    "ServiceUnavailable": "CognitoUnavailable",
    "ServiceUnavailableException": "CognitoUnavailable",
}

# Where an access token is the credential, "not authorized" means the token is no good.
_TOKEN_REFUSED = "The access token is invalid, expired or revoked. Sign in again, or call refresh."

# Admin calls (signed with AWS credentials) name users and groups that an admin chose: there a
# missing user is not a sign-in secret, and is told as it is.
ADMIN_TO_OURS = {
    "UserNotFoundException": "UserNotFound",
    # The user's status does not allow the action (e.g. confirming a confirmed user): the admin's
    # token is fine, so this is not the 401 it would be for a sign-in.
    "NotAuthorizedException": "UserStateConflict",
    "UnsupportedUserStateException": "UserStateConflict",
}

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
    ("AssociateSoftwareToken", "NotAuthorized"): _TOKEN_REFUSED,
    ("VerifySoftwareToken", "NotAuthorized"): _TOKEN_REFUSED,
    ("SetUserMFAPreference", "NotAuthorized"): _TOKEN_REFUSED,
    ("VerifySoftwareToken", "InvalidParameter"): "Start the set-up again with QR_init, then send a new code.",
    ("AdminResetUserPassword", "InvalidParameter"):
        "This user has no verified email, so no reset code can be sent. Confirm the email first.",
    ("AdminCreateUser", "UsernameExists"): "An account with this email already exists.",
    ("AdminConfirmSignUp", "UserStateConflict"): "Only an account waiting for confirmation can be confirmed.",
    ("AdminResetUserPassword", "UserStateConflict"):
        "Only a confirmed account can have its password reset; this one is not confirmed or has a "
        "temporary password.",
    ("AdminCreateUser", "UserStateConflict"): "The invitation can only be sent again to a user who has not "
                                              "signed in yet.",
    ("ListUsers", "InvalidParameter"):
        'The filter or the page is not valid. Write filters as Cognito does, e.g. email ^= "sam" or '
        'status = "Disabled", and pass "page" back as it came in "next_page".',
}


def is_admin_operation(operation: str) -> bool:
    """Whether ``operation`` is one of the IAM-authorised calls the server signs."""
    return operation.startswith("Admin") or operation in ("ListUsers", "CreateGroup", "GetGroup")


# Where one operation's error means something more precise than the code does in general.
OPERATION_CODES = {
    # The challenge's session ran out, or was used already.
    ("RespondToAuthChallenge", "NotAuthorizedException"): "ChallengeExpired",
    # "User has not verified software token mfa".
    ("SetUserMFAPreference", "InvalidParameterException"): "MfaNotSetUp",
    # MFA was turned off while the challenge waited: this sign-in cannot go on.
    ("RespondToAuthChallenge", "SoftwareTokenMFANotFoundException"): "ChallengeExpired",
    # Only the group operations name a group; anywhere else it is the pool that was not found.
    ("AdminAddUserToGroup", "ResourceNotFoundException"): "GroupNotFound",
    ("AdminRemoveUserFromGroup", "ResourceNotFoundException"): "GroupNotFound",
}


def _our_code(operation: str, cognito_code: str) -> str | None:
    if (operation, cognito_code) in OPERATION_CODES:
        return OPERATION_CODES[operation, cognito_code]
    if is_admin_operation(operation) and cognito_code in ADMIN_TO_OURS:
        return ADMIN_TO_OURS[cognito_code]
    return COGNITO_TO_OURS.get(cognito_code)


def from_client_error(operation: str, error: ClientError) -> ApiError:
    """Our error for an error answer Cognito gave to ``operation``."""
    cognito_code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    ours = _our_code(operation, cognito_code)
    if ours is None or ours == "AdminUnavailable":
        # Not shown to the client; the server's log keeps it for whoever runs the server.
        log.error("Cognito %s answered %s (HTTP %s): %s", operation, cognito_code, status,
                  error.response.get("Error", {}).get("Message", ""))
    if ours is None:
        # A bare 503 or 504 (a load balancer's page, not Cognito's JSON) says what it is.
        ours = {503: "CognitoUnavailable", 504: "CognitoTimeout"}.get(
            status, "CognitoError" if status >= 500 else "InternalError")
    return ApiError(ours, MESSAGES.get((operation, ours)))


def from_exception(operation: str, error: Exception) -> ApiError:
    """Our error for anything that went wrong while calling ``operation``."""
    if isinstance(error, ClientError):
        return from_client_error(operation, error)
    if isinstance(error, ReadTimeoutError):
        return ApiError("CognitoTimeout")
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError, HTTPClientError)):
        return ApiError("CognitoUnavailable")
    if isinstance(error, (NoCredentialsError, CredentialRetrievalError)):
        log.error("Cognito %s needs AWS credentials and none could be got: %s", operation, error)
        return ApiError("AdminUnavailable")
    if isinstance(error, ParamValidationError):
        # botocore's own checks (lengths, patterns) caught a value Cognito would refuse.
        return ApiError("InvalidParameter")
    log.error("Calling Cognito %s failed: %r", operation, error)
    return ApiError("InternalError")
