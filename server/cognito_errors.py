"""The one place where Cognito's error codes become ours.

Cognito's own error text is never passed on: it can name users, echo input, or describe the pool.
Each Cognito code maps to one of our stable codes; a few (operation, code) pairs get a sentence of
their own, because "not authorized" means different things to the person who asked. Every error
that botocore's model of cognito-idp declares for an operation the server calls has a mapping here
(a test walks the model), so none of them ends as a 500.

Two of Cognito's codes say more in their text than in their name, and only there is the text read
(never passed on): LimitExceededException is also the default email sender's daily quota, and
InvalidParameterException names the required attributes a request lacked.
"""

from __future__ import annotations

import logging
import re

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

from server.errors import ApiError, missing_attributes

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
    "LimitExceededException": "LimitExceeded",  # but see EMAIL_QUOTA
    "TooManyFailedAttemptsException": "LimitExceeded",
    # A new password that the pool's password-history policy refuses.
    "PasswordHistoryPolicyViolationException": "PasswordReused",
    "CodeDeliveryFailureException": "CodeNotDelivered",
    # WAF's web ACL on the pool refused the request ("Forbidden" is the admin group's code).
    "ForbiddenException": "RequestBlocked",
    # A Lambda trigger of the pool (pre sign-up, pre authentication...) said no, on purpose.
    "UserLambdaValidationException": "RefusedByPoolRule",
    "ConcurrentModificationException": "ConcurrentModification",
    # The step asked for an MFA method the account no longer has: a new sign-in finds the right one.
    "MFAMethodNotFoundException": "ChallengeExpired",
    # "A precondition is not met": the request cannot be done as asked.
    "PreconditionNotMetException": "InvalidParameter",
    # The app client has the operation turned off (RevokeToken with token revocation off, an auth
    # flow the client does not allow), or the token is of a kind the operation does not take.
    "UnsupportedOperationException": "NotSupported",
    "UnsupportedTokenTypeException": "NotSupported",
    # What only whoever runs the server can fix: the pool, its app client, its roles, its Lambda
    # triggers, its feature plan, or the client secret this server was given.
    "ResourceNotFoundException": "CognitoMisconfigured",
    "InvalidUserPoolConfigurationException": "CognitoMisconfigured",
    "UnexpectedLambdaException": "CognitoMisconfigured",
    "InvalidLambdaResponseException": "CognitoMisconfigured",
    "InvalidSmsRoleAccessPolicyException": "CognitoMisconfigured",
    "InvalidSmsRoleTrustRelationshipException": "CognitoMisconfigured",
    "InvalidEmailRoleAccessPolicyException": "CognitoMisconfigured",
    "OperationNotEnabledException": "CognitoMisconfigured",
    "FeatureUnavailableInTierException": "CognitoMisconfigured",
    # RevokeToken's answer when the client secret it was sent is not the app client's.
    "UnauthorizedException": "CognitoMisconfigured",
    # The server's AWS credentials (for admin calls) are missing, wrong, expired or not allowed.
    "MissingAuthenticationTokenException": "AdminUnavailable",
    "UnrecognizedClientException": "AdminUnavailable",
    "InvalidSignatureException": "AdminUnavailable",
    "ExpiredTokenException": "AdminUnavailable",
    "AccessDeniedException": "AdminUnavailable",
    "InternalErrorException": "CognitoError",
    # Passkeys: the pool does not offer them, or the ceremony does not fit this site or this
    # registration (the registration's challenge expired, or another app client started it).
    "WebAuthnNotEnabledException": "PasskeysNotEnabled",
    "WebAuthnConfigurationMissingException": "PasskeysNotEnabled",
    "WebAuthnRelyingPartyMismatchException": "PasskeyWrongSite",
    "WebAuthnOriginNotAllowedException": "PasskeyWrongSite",
    "WebAuthnChallengeNotFoundException": "PasskeyRegistrationExpired",
    "WebAuthnClientMismatchException": "PasskeyRegistrationExpired",
    "WebAuthnCredentialNotSupportedException": "PasskeyNotSupported",
    # ConfirmDevice for a device key confirmed already.
    "DeviceKeyExistsException": "InvalidParameter",
    "ServiceUnavailable": "CognitoUnavailable",
    "ServiceUnavailableException": "CognitoUnavailable",
    # The local Cognito's own answer (HTTP 503; Cognito never sends it): its data folder cannot be
    # written, so it rolled the request's changes back.
    "LocalStorageUnavailableException": "LocalStorageUnavailable",
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
    (
        "ChangePassword",
        "NotAuthorized",
    ): "The current password is wrong, or the access token is invalid, expired or revoked.",
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
    ("GetTokensFromRefreshToken", "NotAuthorized"): "Your session has expired or was signed out. Sign in again.",
    ("AssociateSoftwareToken", "NotAuthorized"): _TOKEN_REFUSED,
    ("VerifySoftwareToken", "NotAuthorized"): _TOKEN_REFUSED,
    ("SetUserMFAPreference", "NotAuthorized"): _TOKEN_REFUSED,
    ("VerifyUserAttribute", "NotAuthorized"): _TOKEN_REFUSED,
    ("GetUserAttributeVerificationCode", "NotAuthorized"): _TOKEN_REFUSED,
    ("ListDevices", "NotAuthorized"): _TOKEN_REFUSED,
    ("ForgetDevice", "NotAuthorized"): _TOKEN_REFUSED,
    (
        "VerifyUserAttribute",
        "InvalidParameter",
    ): "There is no change waiting for a code on this attribute. Ask for a code again, or change it first.",
    (
        "GetUserAttributeVerificationCode",
        "InvalidParameter",
    ): "No code can be sent for this attribute: the account has no such address or number to verify, or "
    "the sign-in service does not send text messages.",
    ("VerifyUserAttribute", "AliasExists"): "Another account already uses this email, so it cannot become yours.",
    ("VerifySoftwareToken", "InvalidParameter"): "Start the set-up again with QR_init, then send a new code.",
    (
        "AdminResetUserPassword",
        "InvalidParameter",
    ): "This user has no verified email, so no reset code can be sent. Confirm the email first.",
    ("AdminCreateUser", "UsernameExists"): "An account with this email already exists.",
    ("AdminConfirmSignUp", "UserStateConflict"): "Only an account waiting for confirmation can be confirmed.",
    (
        "AdminResetUserPassword",
        "UserStateConflict",
    ): "Only a confirmed account can have its password reset; this one is not confirmed or has a temporary password.",
    ("AdminCreateUser", "UserStateConflict"): "The invitation can only be sent again to a user who has not "
    "signed in yet.",
    # USER_AUTH's refusals of a way the app client or the pool's first factors do not allow.
    (
        "InitiateAuth",
        "InvalidParameter",
    ): "This way of signing in is not enabled for this site's user pool or app client.",
    (
        "ListUsers",
        "InvalidParameter",
    ): 'The filter or the page is not valid. Write filters as Cognito does, e.g. email ^= "sam" or '
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
    # A sign-in way the pool's feature plan does not include (USER_AUTH with a code or a passkey on Lite).
    ("InitiateAuth", "FeatureUnavailableInTierException"): "SignInWayNotEnabled",
    ("DeleteWebAuthnCredential", "ResourceNotFoundException"): "PasskeyNotFound",
    # Cognito keeps at most 20 passkeys a user.
    ("StartWebAuthnRegistration", "LimitExceededException"): "PasskeyLimit",
    # Remembered devices: a key that is not one of the user's devices, and a pool without device
    # tracking (its DeviceConfiguration).
    ("ForgetDevice", "ResourceNotFoundException"): "DeviceNotFound",
    ("UpdateDeviceStatus", "ResourceNotFoundException"): "DeviceNotFound",
    ("ListDevices", "InvalidUserPoolConfigurationException"): "DevicesNotEnabled",
    ("ForgetDevice", "InvalidUserPoolConfigurationException"): "DevicesNotEnabled",
    ("ConfirmDevice", "InvalidUserPoolConfigurationException"): "DevicesNotEnabled",
    ("UpdateDeviceStatus", "InvalidUserPoolConfigurationException"): "DevicesNotEnabled",
}

# RespondToAuthChallenge's answer to a passkey (WEB_AUTHN): "not authorized" means the passkey is
# unknown, not this account's, or failed verification (or its step expired), all told as one.
PASSKEY_ANSWER_CODES = {"ChallengeExpired": "PasskeyRefused", "NotAuthorized": "PasskeyRefused"}


# RespondToAuthChallenge's answer to a remembered device's steps (DEVICE_SRP_AUTH,
# DEVICE_PASSWORD_VERIFIER): ResourceNotFoundException, which elsewhere means the pool or its app
# client is gone, there means a device Cognito does not know (forgotten since the sign-in began).
DEVICE_ANSWER_CODES = {"CognitoMisconfigured": "DeviceNotFound"}


def device_answer_error(error: ApiError) -> ApiError:
    """Our error for Cognito's refusal of a device step."""
    ours = DEVICE_ANSWER_CODES.get(error.code)
    return ApiError(ours) if ours else error


def passkey_answer_error(error: ApiError) -> ApiError:
    """Our error for Cognito's refusal of a passkey given in answer to WEB_AUTHN."""
    ours = PASSKEY_ANSWER_CODES.get(error.code)
    return ApiError(ours) if ours else error


# Our codes whose cause is for whoever runs the server to see: Cognito's own text goes to the log
# (never to the client), with the level it deserves.
LOGGED = {
    "AdminUnavailable": logging.ERROR,
    "CognitoMisconfigured": logging.ERROR,
    "NotSupported": logging.ERROR,
    "EmailQuotaExceeded": logging.ERROR,
    "CodeNotDelivered": logging.WARNING,
    "RequestBlocked": logging.WARNING,
    "LocalStorageUnavailable": logging.ERROR,
    "PasskeysNotEnabled": logging.WARNING,
    "SignInWayNotEnabled": logging.WARNING,
    "DevicesNotEnabled": logging.WARNING,
}

# LimitExceededException's other meaning: "Exceeded daily email limit for the operation or the
# account. If a higher limit is required, please configure your user pool to use your own Amazon
# SES configuration for sending email." Waiting 30 seconds does not help there.
EMAIL_QUOTA = re.compile(r"daily\s+email\s+limit", re.IGNORECASE)

# What an attribute's name can be (standard ones, custom:..., dev:custom:...): nothing else taken
# from Cognito's text ever reaches an answer.
_ATTRIBUTE_NAME = r"(?:dev:)?(?:custom:)?[A-Za-z0-9_]{1,32}"
# SignUp's answer, one entry per missing attribute, on lines of their own (or, as some clients show
# it, on one line), e.g. "Attributes did not conform to the schema: name: The attribute is
# required\nfamily_name: The attribute is required\n"; some answers repeat the name after
# "The attribute".
_SCHEMA_PREFIX = re.compile(r"\s*Attributes did not conform to the schema:", re.IGNORECASE)
_REQUIRED_ENTRY = (
    rf"\s*(?P<name>{_ATTRIBUTE_NAME}):\s*The attribute\s+(?:(?P=name)\s+)?is required\.?"
    r"\s*,?"
)
_REQUIRED_ENTRIES = re.compile(rf"(?:{_REQUIRED_ENTRY})+\s*", re.IGNORECASE)
# RespondToAuthChallenge's answer to NEW_PASSWORD_REQUIRED, e.g. "Invalid attributes given, name is
# missing".
_CHALLENGE_MISSING = re.compile(
    r"\s*Invalid attributes given,\s*(?P<names>.+?)\s+(?:is|are)\s+missing\.?\s*", re.IGNORECASE | re.DOTALL
)
_NAME_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+", re.IGNORECASE)


def missing_attribute_names(message: str) -> list[str] | None:
    """The attributes an InvalidParameterException's ``message`` says are required and missing, or
    None when it says anything else (or cannot be read with certainty)."""
    if not isinstance(message, str):
        return None
    prefix = _SCHEMA_PREFIX.match(message)
    if prefix:
        body = message[prefix.end() :]
        if not _REQUIRED_ENTRIES.fullmatch(body):
            return None  # another complaint among them: not only missing attributes
        names = [m.group("name") for m in re.finditer(_REQUIRED_ENTRY, body, re.IGNORECASE)]
    else:
        challenge = _CHALLENGE_MISSING.fullmatch(message)
        if not challenge:
            return None
        names = _NAME_LIST_SEPARATOR.split(challenge.group("names"))
        names = [name.removeprefix("userAttributes.") for name in names]
    if not names or not all(re.fullmatch(_ATTRIBUTE_NAME, name) for name in names):
        return None
    return list(dict.fromkeys(names))


def _our_code(operation: str, cognito_code: str) -> str | None:
    if (operation, cognito_code) in OPERATION_CODES:
        return OPERATION_CODES[operation, cognito_code]
    if is_admin_operation(operation) and cognito_code in ADMIN_TO_OURS:
        return ADMIN_TO_OURS[cognito_code]
    return COGNITO_TO_OURS.get(cognito_code)


def from_client_error(operation: str, error: ClientError) -> ApiError:
    """Our error for an error answer Cognito gave to ``operation``."""
    cognito_code = error.response.get("Error", {}).get("Code", "")
    cognito_message = error.response.get("Error", {}).get("Message", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if cognito_code == "InvalidParameterException":
        names = missing_attribute_names(cognito_message)
        if names:
            return missing_attributes(names)
    ours = _our_code(operation, cognito_code)
    if (
        ours == "LimitExceeded"
        and cognito_code == "LimitExceededException"
        and EMAIL_QUOTA.search(str(cognito_message))
    ):
        ours = "EmailQuotaExceeded"
    if ours is None or ours in LOGGED:
        # Not shown to the client; the server's log keeps it for whoever runs the server.
        log.log(
            logging.ERROR if ours is None else LOGGED[ours],
            "Cognito %s answered %s (HTTP %s): %s",
            operation,
            cognito_code,
            status,
            cognito_message,
        )
    if ours is None:
        # A code botocore's model does not know (a newer Cognito's). A bare 503 or 504 (a load
        # balancer's page, not Cognito's JSON) says what it is. Any other answer, 4xx included, is
        # Cognito refusing in a way this server cannot explain to the client: not the client's
        # fault that we could name, nor a bug of ours, so 502 CognitoError rather than a 500.
        # Only an answer with no HTTP status at all is ours to be puzzled by.
        ours = {503: "CognitoUnavailable", 504: "CognitoTimeout"}.get(
            status, "CognitoError" if status >= 400 else "InternalError"
        )
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
