"""The one error type a method may raise, and the catalogue of stable error codes.

A handler raises ``ApiError`` (usually through ``ApiError.of(code)``); the endpoint turns it into
an HTTP answer. The catalogue is the error table in docs/api.md: code, HTTP status, and the
sentence a person reads (in English; ``server/languages.py`` has them in French, and each error
reads its sentence in the request's language). Messages never carry an exception's text, a
password, a token or a secret.
"""

from __future__ import annotations

import dataclasses

from server.languages import sentence


@dataclasses.dataclass(frozen=True)
class ErrorKind:
    status: int
    message: str


# code -> (HTTP status, the default sentence). The error table in docs/api.md lists the same rows.
CATALOGUE: dict[str, ErrorKind] = {
    # The request itself.
    "InvalidJson": ErrorKind(400, "The request body is not valid JSON."),
    "InvalidRequest": ErrorKind(400, "The request body must be a JSON object."),
    "MissingEnv": ErrorKind(
        400, 'The request body needs an "env" field naming the method, or must be a JSON-RPC 2.0 request.'
    ),
    "UnknownMethod": ErrorKind(400, "There is no method with that name."),
    "MissingField": ErrorKind(400, "A required field is missing."),
    "InvalidField": ErrorKind(400, "A field has the wrong type or value."),
    "UnknownField": ErrorKind(400, "The request has a field this method does not take."),
    "BodyTooLarge": ErrorKind(413, "The request body is larger than 64 KiB."),
    "MethodNotAllowed": ErrorKind(405, "Send the request with POST."),
    # Sessions and cookies.
    "NoSession": ErrorKind(401, "You are not signed in: there is no session cookie. Sign in again."),
    "SessionExpired": ErrorKind(401, "Your session has expired or was signed out. Sign in again."),
    # Access tokens sent by the client.
    "MissingToken": ErrorKind(401, 'This method needs the "access_token" of a signed-in user.'),
    "InvalidToken": ErrorKind(401, "The access token is not valid for this user pool, or was revoked. Sign in again."),
    "TokenExpired": ErrorKind(401, "The access token has expired. Call refresh for a new one."),
    "Forbidden": ErrorKind(403, "Only members of the admin group may do this."),
    # Sign-in challenges (authenticator-app codes, new passwords).
    "ChallengeExpired": ErrorKind(401, "This sign-in step has expired or was already used. Sign in again."),
    "MfaNotSetUp": ErrorKind(400, "Set up an authenticator app first: QR_init, then QR_TOTP with a code from the app."),
    "PhoneNotVerified": ErrorKind(
        400, "Add a phone number and verify it with the code texted to it before turning on text-message codes."
    ),
    "EmailNotVerified": ErrorKind(400, "Verify your email with the code sent to it before turning on email codes."),
    "MfaMethodUnavailable": ErrorKind(
        400, "The sign-in service does not offer this kind of sign-in code. Choose another one."
    ),
    "AttributeNotWritable": ErrorKind(
        403, "The sign-in service does not let you change this yourself. Contact whoever runs this site."
    ),
    # Passwordless sign-in: emailed codes and passkeys.
    "SignInWayNotEnabled": ErrorKind(
        403, "This way of signing in is not enabled for this site's user pool or app client."
    ),
    "PasskeysNotEnabled": ErrorKind(
        403,
        "This site's user pool does not offer passkeys (it needs the Essentials plan, passkeys among its "
        "sign-in options, and a relying party id).",
    ),
    "PasskeyWrongSite": ErrorKind(
        400, "This passkey was made for another website, or at an address this site's passkeys do not cover."
    ),
    "PasskeyRegistrationExpired": ErrorKind(
        400, "This passkey registration has expired or was started elsewhere. Start again with passkeyRegisterStart."
    ),
    "PasskeyNotSupported": ErrorKind(400, "This kind of passkey or authenticator is not supported here."),
    "PasskeyRefused": ErrorKind(
        401,
        "This passkey is not registered for this account or could not be verified, or the sign-in took too "
        "long. Start again, or sign in another way.",
    ),
    "PasskeyNotFound": ErrorKind(404, "There is no passkey of yours with this id."),
    "PasskeyLimit": ErrorKind(409, "This account has the most passkeys it may have. Delete one first."),
    # Remembered devices.
    "DevicesNotEnabled": ErrorKind(
        403, "This site's user pool does not remember devices (it needs device tracking turned on)."
    ),
    "DeviceNotFound": ErrorKind(404, "There is no device of yours with this key."),
    "InvalidCredential": ErrorKind(
        400, 'The field "credential" must be the JSON of what navigator.credentials answered.'
    ),
    # Answers from Cognito.
    "NotAuthorized": ErrorKind(401, "Incorrect username or password."),
    "UserNotConfirmed": ErrorKind(
        403,
        "This account is not confirmed yet. Enter the code that was emailed to you, "
        "or ask for a new one with resendCode.",
    ),
    "PasswordResetRequired": ErrorKind(
        403, "This account needs a new password. Use forgotPassword to get a reset code."
    ),
    "UsernameExists": ErrorKind(409, "An account with this email already exists."),
    "AliasExists": ErrorKind(409, "Another account already uses this email."),
    "CodeMismatch": ErrorKind(400, "The code is wrong. Check the code and try again."),
    "ExpiredCode": ErrorKind(400, "The code has expired. Ask for a new one."),
    "InvalidPassword": ErrorKind(400, "The password does not meet the user pool's password rules."),
    "InvalidParameter": ErrorKind(400, "Cognito did not accept one of the values sent."),
    "MissingAttribute": ErrorKind(400, "The user pool requires an attribute that was not given."),
    "PasswordReused": ErrorKind(
        400, "This password was used recently on this account. Choose one you have not used before."
    ),
    "RefusedByPoolRule": ErrorKind(
        400, "The user pool's own rules refused this request. If that seems wrong, contact whoever runs this site."
    ),
    "ConcurrentModification": ErrorKind(
        409, "Another change to this account was being made at the same time. Try again."
    ),
    "RequestBlocked": ErrorKind(
        403, "The sign-in service's firewall blocked this request. Try again later, or from another network."
    ),
    "CodeNotDelivered": ErrorKind(
        502, "The code could not be sent. Check the email address, then ask for a new code in a little while."
    ),
    "EmailQuotaExceeded": ErrorKind(
        503,
        "The sign-in service has sent all the emails it may send today, so no code can be emailed now. "
        "Try again tomorrow, or contact whoever runs this site.",
    ),
    # Hosted-UI sign-in (/login, /callback).
    "HostedUiOff": ErrorKind(
        503, "Sign-in through the hosted UI is not set up on this server (it needs COGNITO_DOMAIN and BASE_URL)."
    ),
    "InvalidNext": ErrorKind(400, 'After sign-in, "next" can only lead to a page of this site, like /photos.'),
    "InvalidProvider": ErrorKind(400, 'The "provider" is not an identity provider name.'),
    "SignInStateMismatch": ErrorKind(
        400, "This sign-in did not start here, or took longer than 10 minutes. Start again from /login."
    ),
    "SignInFailed": ErrorKind(400, "The sign-in did not complete. Start again from /login."),
    "UntrustedOrigin": ErrorKind(
        403, "A page from another origin cannot use your sign-in session. Send the access token instead."
    ),
    # Photos (/photos).
    "PhotoNotFound": ErrorKind(404, "There is no photo of yours with this id."),
    "NotAnImage": ErrorKind(400, "The file is not a picture this site takes: send a JPEG, PNG, GIF or WebP photo."),
    "PhotoTooLarge": ErrorKind(413, "The photo is larger than 5 MiB."),
    "StorageUnavailable": ErrorKind(503, "Photos cannot be stored or read right now. Try again shortly."),
    # Admin methods.
    "UserNotFound": ErrorKind(404, "There is no user with this email."),
    "GroupNotFound": ErrorKind(404, "There is no group with this name."),
    "UserStateConflict": ErrorKind(409, "The user's current status does not allow this."),
    "AdminUnavailable": ErrorKind(
        503, "The server's AWS credentials cannot make admin calls. Whoever runs the server must fix them."
    ),
    "TooManyRequests": ErrorKind(429, "Too many requests. Wait a moment and try again."),
    "LimitExceeded": ErrorKind(429, "Too many attempts. Wait a while and try again."),
    "RateLimited": ErrorKind(429, "Too many attempts from here or for this user. Wait and try again."),
    # Cognito itself.
    "CognitoUnavailable": ErrorKind(503, "The sign-in service cannot be reached. Try again shortly."),
    "CognitoTimeout": ErrorKind(504, "The sign-in service took too long to answer. Try again."),
    "CognitoError": ErrorKind(502, "The sign-in service failed to answer the request. Try again."),
    "CognitoMisconfigured": ErrorKind(
        503,
        "The sign-in service is not set up correctly for this request. Whoever runs the server must fix "
        "it; the server's log says what.",
    ),
    "NotSupported": ErrorKind(
        501, "The sign-in service is not set up to do this (the user pool's app client has it turned off)."
    ),
    "LocalStorageUnavailable": ErrorKind(
        503,
        "The local Cognito cannot save to its data folder, so nothing was changed. Whoever runs the server "
        "must make the folder (LOCAL_COGNITO_DATA) writable; the server's log says why.",
    ),
    "Stopping": ErrorKind(503, "This server is shutting down. Try again: another one will answer."),
    # Anything else.
    "InternalError": ErrorKind(500, "Something went wrong on our side. Quote the request id if you report it."),
}

# Seconds a client should wait before retrying, for the 429 codes.
RETRY_AFTER_SECONDS = {"TooManyRequests": 1, "LimitExceeded": 30}


class ApiError(Exception):
    """A failure with a stable code, an HTTP status and a sentence safe to show to a person."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        field: str | None = None,
    ):
        kind = CATALOGUE[code]
        self.code = code
        self.english = message or kind.message
        self.status = status or kind.status
        self.retry_after = retry_after if retry_after is not None else RETRY_AFTER_SECONDS.get(code)
        # The request field the error is about, when there is one.
        self.field = field
        super().__init__(code)

    @property
    def message(self) -> str:
        """The sentence, in the language of the request being answered (``server/languages.py``)."""
        return sentence(self.code, self.english)

    @message.setter
    def message(self, english: str) -> None:
        self.english = english

    def __repr__(self) -> str:
        return f"ApiError({self.code!r}, status={self.status})"


def missing_attributes(names: list[str]) -> ApiError:
    """400 ``MissingAttribute`` naming the attributes the pool requires and the request lacked; its
    ``field`` is the first of them, for a form to point at."""
    quoted = [f'"{name}"' for name in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    if len(names) == 1:
        sentence = f"This user pool requires {listed}, which was not given: send it as a field named {listed}."
    else:
        sentence = f"This user pool requires {listed}, which were not given: send each as a field of that name."
    return ApiError("MissingAttribute", sentence, field=names[0])
