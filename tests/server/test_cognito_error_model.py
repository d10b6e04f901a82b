"""Every error Cognito can send has a deliberate answer: checked against botocore's model of
cognito-idp (which we did not write), for every operation the server's code calls; and over HTTP,
with a stand-in Cognito, for the answers that need more than a code (the email quota, signOut when
Cognito will not revoke, a code no model knows)."""

from __future__ import annotations

import logging
import pathlib
import re

import botocore.session
import pytest
from botocore.exceptions import ClientError

from server.cognito_errors import from_exception
from server.config import load_config
from server.errors import CATALOGUE
from tests.support import PASSWORD, STAND_IN_POOL, Client, StandInCognito, issued_access_token, serve_app

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
MODEL = botocore.session.get_session().get_service_model("cognito-idp")
# Called on the refresh path (it replaces REFRESH_TOKEN_AUTH where the pool offers it): checked
# whether or not the code calls it yet.
ALSO_CHECKED = ("GetTokensFromRefreshToken",)


def called_operations() -> list[str]:
    """The cognito-idp operations the server's code names: every string literal in server/, handlers/
    and tornado_server.py that is an operation of the model. cognito_errors.py names operations
    only to describe their errors, so it is left out: a name there is not a call."""
    sources = [
        *ROOT.joinpath("server").rglob("*.py"),
        *ROOT.joinpath("handlers").rglob("*.py"),
        ROOT / "tornado_server.py",
    ]
    names = set(MODEL.operation_names)
    found = set()
    for source in sources:
        if source.name == "cognito_errors.py":
            continue
        found |= {
            literal for literal in re.findall(r"""["']([A-Z][A-Za-z]+)["']""", source.read_text()) if literal in names
        }
    return sorted(found | set(ALSO_CHECKED))


OPERATIONS = called_operations()


def model_errors() -> list[tuple[str, str, int]]:
    """(operation, error code, the HTTP status the model gives it, or 400) for every error every
    called operation declares."""
    pairs = []
    for operation in OPERATIONS:
        for shape in MODEL.operation_model(operation).error_shapes:
            status = shape.metadata.get("error", {}).get("httpStatusCode") or 400
            pairs.append((operation, shape.error_code or shape.name, status))
    return pairs


def client_error(
    code: str, status: int = 400, message: str = "alice@example.com: secret details", operation: str = "SignUp"
) -> ClientError:
    """What botocore raises for an error answer."""
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


def test_the_scan_finds_the_calls_the_server_makes():
    # The scan is what keeps the next test complete: if it stopped finding calls, it would pass
    # vacuously. These are calls the methods are known to make.
    for operation in (
        "SignUp",
        "InitiateAuth",
        "RespondToAuthChallenge",
        "RevokeToken",
        "GlobalSignOut",
        "ChangePassword",
        "AdminCreateUser",
        "ListUsers",
        "AdminUserGlobalSignOut",
        "GetTokensFromRefreshToken",
    ):
        assert operation in OPERATIONS
    assert "CreateUserPool" not in OPERATIONS  # named nowhere in the server's code


@pytest.mark.parametrize(
    "operation,code,status", model_errors(), ids=[f"{op}-{code}" for op, code, _ in model_errors()]
)
def test_every_error_the_model_declares_has_a_deliberate_answer(operation, code, status):
    error = from_exception(operation, client_error(code, status, operation=operation))
    assert error.code in CATALOGUE and error.code != "InternalError"
    assert error.status != 500 and error.status == CATALOGUE[error.code].status
    assert "alice" not in error.message and "secret" not in error.message  # Cognito's text stays out


@pytest.mark.parametrize(
    "code,ours,status",
    [
        ("PasswordHistoryPolicyViolationException", "PasswordReused", 400),
        ("CodeDeliveryFailureException", "CodeNotDelivered", 502),
        ("ForbiddenException", "RequestBlocked", 403),
        ("UserLambdaValidationException", "RefusedByPoolRule", 400),
        ("UnsupportedOperationException", "NotSupported", 501),
        ("InvalidUserPoolConfigurationException", "CognitoMisconfigured", 503),
        ("UnexpectedLambdaException", "CognitoMisconfigured", 503),
        ("InvalidLambdaResponseException", "CognitoMisconfigured", 503),
        ("InvalidSmsRoleTrustRelationshipException", "CognitoMisconfigured", 503),
        ("InvalidEmailRoleAccessPolicyException", "CognitoMisconfigured", 503),
        ("ResourceNotFoundException", "CognitoMisconfigured", 503),
        # InitiateAuth's: USER_AUTH with a way the feature plan lacks (see also test_passwordless.py).
        ("FeatureUnavailableInTierException", "SignInWayNotEnabled", 403),
        ("TooManyFailedAttemptsException", "LimitExceeded", 429),
    ],
)
def test_the_codes_chosen_for_cognitos_errors(code, ours, status):
    error = from_exception("InitiateAuth", client_error(code, operation="InitiateAuth"))
    assert (error.code, error.status) == (ours, status)


def test_a_group_operations_missing_resource_is_the_group_anywhere_else_the_pool():
    assert from_exception("AdminAddUserToGroup", client_error("ResourceNotFoundException")).code == "GroupNotFound"
    assert from_exception("AdminGetUser", client_error("ResourceNotFoundException")).code == "CognitoMisconfigured"


def test_a_code_no_model_knows_is_a_502_whatever_its_4xx_status():
    for status in (400, 403, 404, 418):
        error = from_exception("SignUp", client_error("SomethingNewException", status))
        assert (error.code, error.status) == ("CognitoError", 502)
    assert from_exception("SignUp", client_error("SomethingNewException", 503)).code == "CognitoUnavailable"
    assert from_exception("SignUp", client_error("SomethingNewException", 504)).code == "CognitoTimeout"
    # An answer without any HTTP status is nothing Cognito sends: a failure of ours to look into.
    assert from_exception("SignUp", client_error("SomethingNewException", 0)).code == "InternalError"


# Cognito's texts for its two LimitExceededExceptions: the attempt limit (as the local Cognito
# and Cognito say it) and the default email sender's daily quota (as AWS's answer reads).
ATTEMPT_LIMIT = "Attempt limit exceeded, please try after some time."
DAILY_EMAIL_LIMIT = (
    "Exceeded daily email limit for the operation or the account. If a higher limit is "
    "required, please configure your user pool to use your own Amazon SES configuration "
    "for sending email."
)


def test_the_two_meanings_of_limit_exceeded_are_told_apart():
    attempts = from_exception("ConfirmSignUp", client_error("LimitExceededException", message=ATTEMPT_LIMIT))
    assert (attempts.code, attempts.status, attempts.retry_after) == ("LimitExceeded", 429, 30)
    for message in (DAILY_EMAIL_LIMIT, DAILY_EMAIL_LIMIT.upper(), "exceeded  Daily Email\nLimit"):
        quota = from_exception("ForgotPassword", client_error("LimitExceededException", message=message))
        assert (quota.code, quota.status, quota.retry_after) == ("EmailQuotaExceeded", 503, None)
        assert "30 seconds" not in quota.message and "SES" not in quota.message


# --- over HTTP, with a stand-in Cognito -------------------------------------------------------------

PASS = {"pass": PASSWORD}
REAL = {
    **STAND_IN_POOL,
    "COGNITO_MAX_ATTEMPTS": "1",
    "COGNITO_READ_TIMEOUT": "2",
    # RevokeToken sends the secret, and botocore checks it is shaped like an app client's.
    "COGNITO_CLIENT_SECRET": "standinsecret0123456789abcdefghij",
    "RATE_LIMIT_PER_ADDRESS": "off",
    "RATE_LIMIT_PER_USER": "off",
}


@pytest.fixture(scope="module")
def cognito():
    stand_in = StandInCognito()
    server = serve_app(load_config(dict(REAL, COGNITO_ENDPOINT_URL=stand_in.url)))
    stand_in.base_url = f"http://127.0.0.1:{server.port}"
    yield stand_in
    server.stop()
    stand_in.stop()


@pytest.fixture
def signed_in(cognito):
    """A client holding the refresh cookie of a sign-in the stand-in answered."""
    cognito.answers.clear()
    cognito.answer(
        "InitiateAuth",
        body={
            "AuthenticationResult": {
                "AccessToken": issued_access_token(),
                "IdToken": "the-id-token",
                "RefreshToken": "the-refresh-token",
                "ExpiresIn": 3600,
                "TokenType": "Bearer",
            }
        },
    )
    client = Client(cognito.base_url)
    assert client.call("signIn", user="sam@example.com", **PASS).status == 200
    assert "__Host-refresh" in client.cookies
    return client


def test_the_daily_email_quota_is_503_without_a_retry_after_and_logged(cognito, caplog):
    cognito.fail("SignUp", "LimitExceededException", message=DAILY_EMAIL_LIMIT)
    with caplog.at_level(logging.ERROR, logger="server.cognito"):
        reply = Client(cognito.base_url).call("createAccount", user="sam@example.com", **PASS)
    assert (reply.status, reply.json["error"]) == (503, "EmailQuotaExceeded")
    assert reply.headers.get("Retry-After") is None and reply.json["request_id"]
    assert "SES" not in reply.body.decode()
    assert "daily email limit" in caplog.text  # whoever runs the server learns what to change

    cognito.fail("SignUp", "LimitExceededException", message=ATTEMPT_LIMIT)
    reply = Client(cognito.base_url).call("createAccount", user="sam@example.com", **PASS)
    assert (reply.status, reply.json["error"], reply.headers["Retry-After"]) == (429, "LimitExceeded", "30")


def test_the_daily_email_quota_is_logged_but_a_reset_code_request_answers_as_for_anyone(cognito, caplog):
    """Only an account that would get an email meets the quota, so forgotPassword answers as it does
    for an email with no account (docs/security.md); the log still tells whoever runs the server."""
    cognito.fail("ForgotPassword", "LimitExceededException", message=DAILY_EMAIL_LIMIT)
    with caplog.at_level(logging.ERROR, logger="server.cognito"):
        reply = Client(cognito.base_url).call("forgotPassword", user="sam@example.com")
    assert (reply.status, reply.json) == (
        200,
        {"message": "OK", "delivery": {"destination": "s***@e***", "medium": "EMAIL"}},
    )
    assert "daily email limit" in caplog.text


@pytest.mark.parametrize(
    "operation,env,fields,cognito_code,status,ours",
    [
        (
            "ChangePassword",
            "changePass",
            {"old_pass": "a-password", "new_pass": "an-old-password", "access_token": "t"},
            "PasswordHistoryPolicyViolationException",
            400,
            "PasswordReused",
        ),
        (
            "SignUp",
            "createAccount",
            {"user": "sam@example.com", **PASS},
            "UserLambdaValidationException",
            400,
            "RefusedByPoolRule",
        ),
        ("InitiateAuth", "signIn", {"user": "sam@example.com", **PASS}, "ForbiddenException", 403, "RequestBlocked"),
        (
            "SignUp",
            "createAccount",
            {"user": "sam@example.com", **PASS},
            "CodeDeliveryFailureException",
            502,
            "CodeNotDelivered",
        ),
        (
            "InitiateAuth",
            "signIn",
            {"user": "sam@example.com", **PASS},
            "InvalidLambdaResponseException",
            503,
            "CognitoMisconfigured",
        ),
        ("InitiateAuth", "signIn", {"user": "sam@example.com", **PASS}, "SomethingNewException", 502, "CognitoError"),
    ],
)
def test_cognitos_errors_over_http(cognito, caplog, operation, env, fields, cognito_code, status, ours):
    cognito.fail(operation, cognito_code, message="Cognito's own words about sam@example.com")
    with caplog.at_level(logging.WARNING, logger="server.cognito"):
        reply = Client(cognito.base_url).call(env, **fields)
    assert (reply.status, reply.json["error"]) == (status, ours)
    assert reply.json["message"] == CATALOGUE[ours].message or "Cognito's own words" not in reply.json["message"]
    assert "Cognito's own words" not in reply.body.decode()
    if ours in ("CodeNotDelivered", "RequestBlocked", "CognitoMisconfigured", "CognitoError"):
        assert "Cognito's own words" in caplog.text  # the log keeps what the client is not told


def test_sign_out_clears_the_cookies_and_says_cognito_did_not_revoke(cognito, signed_in):
    cognito.fail("RevokeToken", "UnsupportedOperationException", message="Token revocation is not enabled")
    reply = signed_in.call("signOut")
    assert reply.status == 200 and reply.json["message"] == "OK"
    assert "__Host-refresh" not in signed_in.cookies
    assert reply.json["revoked"] is False
    assert reply.json["revoke_error"] == {"error": "NotSupported", "message": CATALOGUE["NotSupported"].message}
    assert "not enabled" not in reply.body.decode()


def test_sign_out_says_so_when_cognito_cannot_be_asked(cognito, signed_in):
    cognito.fail("RevokeToken", "ServiceUnavailable", status=503)
    reply = signed_in.call("signOut")
    assert (reply.status, reply.json["revoked"], reply.json["revoke_error"]["error"]) == (
        200,
        False,
        "CognitoUnavailable",
    )
    assert "__Host-refresh" not in signed_in.cookies


def test_global_sign_out_refused_by_cognito_still_signs_this_browser_out(cognito, signed_in):
    cognito.fail("GlobalSignOut", "TooManyRequestsException")
    reply = signed_in.call("signOut", access_token=issued_access_token(), **{"global": True})
    assert (reply.status, reply.json["revoked"], reply.json["revoke_error"]["error"]) == (200, False, "TooManyRequests")
    assert "__Host-refresh" not in signed_in.cookies


def test_global_sign_out_with_a_refresh_token_cognito_refuses(cognito, signed_in):
    # The refresh that would name the user, whichever refresh call the endpoint serves.
    cognito.fail("GetTokensFromRefreshToken", "NotAuthorizedException")
    cognito.fail("InitiateAuth", "NotAuthorizedException")
    reply = signed_in.call("signOut", **{"global": True})
    assert (reply.status, reply.json["revoked"], reply.json["revoke_error"]["error"]) == (200, False, "SessionExpired")
    assert "__Host-refresh" not in signed_in.cookies


def test_sign_out_that_cognito_honours_says_revoked(cognito, signed_in):
    cognito.answer("RevokeToken", body={})
    cognito.received.clear()
    reply = signed_in.call("signOut")
    assert (reply.status, reply.json) == (200, {"message": "OK", "revoked": True})
    assert [operation for operation, _ in cognito.received] == ["RevokeToken"]
    # With no session there is nothing to revoke, and no error either.
    assert Client(cognito.base_url).call("signOut").json == {"message": "OK", "revoked": False}


def test_sign_out_of_a_token_cognito_had_revoked_already(cognito, signed_in):
    cognito.fail("RevokeToken", "NotAuthorizedException")
    reply = signed_in.call("signOut")
    assert (reply.status, reply.json) == (200, {"message": "OK", "revoked": True})
    assert "__Host-refresh" not in signed_in.cookies
