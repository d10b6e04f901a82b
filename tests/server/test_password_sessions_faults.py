"""What a password change or reset answers when ending the sessions fails, against a stand-in Cognito
that fails on demand, over real HTTP: the password is changed all the same, the answer never claims
sessions ended that did not, and a session that still works is never cleared (nor a dead one kept)."""

from __future__ import annotations

import pytest

from handlers.passwords import NEEDS_ADMIN
from server.config import load_config
from tests.support import PASSWORD, STAND_IN_POOL, Client, StandInCognito, issued_access_token, serve_app

TOKENS = {
    "AuthenticationResult": {
        "AccessToken": issued_access_token(),
        "IdToken": "the-id-token",
        "RefreshToken": "the-refresh-token",
        "ExpiresIn": 3600,
        "TokenType": "Bearer",
    }
}
CHANGE = {"old_pass": PASSWORD, "new_pass": PASSWORD + "_new", "access_token": issued_access_token()}
RESET = {"user": "sam@example.com", "conf_code": "123456", "new_pass": PASSWORD + "_new"}


@pytest.fixture
def cognito(monkeypatch, tmp_path):
    """A stand-in Cognito, and our server on it with no AWS credentials for admin calls."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    stand_in = StandInCognito()
    server = serve_app(
        load_config(dict(STAND_IN_POOL, COGNITO_ENDPOINT_URL=stand_in.url, PHOTOS_DATA=str(tmp_path / "photos")))
    )
    stand_in.base_url = f"http://127.0.0.1:{server.port}"
    yield stand_in
    server.stop()
    stand_in.stop()


@pytest.fixture
def signed_in(cognito) -> Client:
    cognito.answer("InitiateAuth", body=TOKENS)
    client = Client(cognito.base_url)
    assert client.call("signIn", user="sam@example.com", **{"pass": PASSWORD}).status == 200
    cognito.received.clear()
    return client


def operations(cognito: StandInCognito) -> list[str]:
    return [operation for operation, _ in cognito.received]


def test_a_sign_out_cognito_refuses_leaves_the_callers_session_and_says_the_others_go_on(cognito, signed_in):
    cookie = signed_in.cookies["__Host-refresh"]
    cognito.fail("GlobalSignOut", "TooManyRequestsException")
    reply = signed_in.call("changePass", **CHANGE)
    assert reply.status == 200, reply.body
    assert reply.json == {
        "message": "OK",
        "other_sessions_ended": False,
        "sign_out_error": {"error": "TooManyRequests", "message": "Too many requests. Wait a moment and try again."},
    }
    assert not reply.set_cookies() and signed_in.cookies["__Host-refresh"] == cookie
    assert operations(cognito)[0] == "ChangePassword" and "InitiateAuth" not in operations(cognito)


def test_a_new_sign_in_that_fails_signs_the_caller_out_and_says_so(cognito, signed_in):
    cognito.fail("InitiateAuth", "ServiceUnavailable", status=503)
    reply = signed_in.call("changePass", **CHANGE)
    assert reply.status == 200, reply.body
    assert reply.json["other_sessions_ended"] is True and reply.json["signed_in"] is False
    assert reply.json["sign_in_error"]["error"] == "CognitoUnavailable"
    assert reply.clears_cookie("__Host-refresh")  # that session ended with the others
    assert operations(cognito)[:3] == ["ChangePassword", "GlobalSignOut", "InitiateAuth"]
    # The new sign-in names the user as Cognito assigned it, with that name's SECRET_HASH.
    sign_in = dict(cognito.received)["InitiateAuth"]["AuthParameters"]
    assert sign_in["USERNAME"] == "5e0f-sub-id" and sign_in["PASSWORD"] == CHANGE["new_pass"]


def test_a_failed_password_change_ends_nothing(cognito, signed_in):
    cognito.fail("ChangePassword", "InvalidPasswordException")
    reply = signed_in.call("changePass", **CHANGE)
    assert (reply.status, reply.json["error"]) == (400, "InvalidPassword")
    assert operations(cognito) == ["ChangePassword"] and not reply.set_cookies()


def test_a_reset_without_admin_credentials_signs_in_and_out_everywhere(cognito):
    cognito.answer("InitiateAuth", body=TOKENS)
    reply = Client(cognito.base_url).call("confirmForgotPassword", **RESET)
    assert reply.json == {"message": "OK", "all_sessions_ended": True}
    # The admin call never left (no credentials); the sign-in's token signed every session out.
    assert operations(cognito) == ["ConfirmForgotPassword", "InitiateAuth", "GlobalSignOut"]
    assert cognito.received[2][1]["AccessToken"] == issued_access_token()


def test_a_reset_that_cannot_end_the_sessions_says_so(cognito):
    cognito.answer(
        "InitiateAuth", body={"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "s", "ChallengeParameters": {}}
    )
    reply = Client(cognito.base_url).call("confirmForgotPassword", **RESET)
    assert reply.status == 200
    assert reply.json == {
        "message": "OK",
        "all_sessions_ended": False,
        "sessions_error": {"error": "AdminUnavailable", "message": NEEDS_ADMIN},
    }
    cognito.answer("InitiateAuth", body=TOKENS)
    cognito.fail("GlobalSignOut", "InternalErrorException", status=500)
    reply = Client(cognito.base_url).call("confirmForgotPassword", **RESET)
    assert reply.json["all_sessions_ended"] is False and reply.json["sessions_error"]["error"] == "CognitoError"


def test_a_reset_with_a_wrong_code_ends_nothing(cognito):
    cognito.fail("ConfirmForgotPassword", "CodeMismatchException")
    reply = Client(cognito.base_url).call("confirmForgotPassword", **RESET)
    assert (reply.status, reply.json["error"]) == (400, "CodeMismatch")
    assert operations(cognito) == ["ConfirmForgotPassword"]
