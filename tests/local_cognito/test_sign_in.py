"""The local Cognito's sign-in (local_cognito/sign_in.py): SECRET_HASH on password and refresh-token
sign-ins, the SOFTWARE_TOKEN_MFA challenge and its one-use sessions, and NEW_PASSWORD_REQUIRED for
users an admin made, as Cognito documents them.

Most tests drive the module's local Cognito over HTTP with boto3, on a pool whose clock they move.
"""

from __future__ import annotations

import json

import jwt

from local_cognito.endpoint import LocalCognito
from local_cognito.service import LocalUserPool
from local_cognito.totp import STEP_SECONDS, SoftwareToken, new_secret
from tests.support.local_pool import (
    Clock,
    admin_created,
    clients,
    code_at,
    error_code,
    error_message,
    password_auth,
    respond_mfa,
    signed_in,
    signed_up,
    with_mfa,
)


def test_password_auth_checks_the_secret_hash(local_pool_idp, email):
    idp = local_pool_idp
    signed_up(idp, email)
    assert error_code(password_auth, idp=idp, email=email, hash_for="x@example.com") == "NotAuthorizedException"
    assert password_auth(idp, email)["AuthenticationResult"]["AccessToken"]


def test_refresh_hash_must_use_the_sub_not_the_email(local_pool_idp, email):
    idp = local_pool_idp
    signed_up(idp, email)
    result = password_auth(idp, email)["AuthenticationResult"]
    sub = jwt.decode(result["AccessToken"], options={"verify_signature": False})["username"]
    assert sub != email

    def refresh(name):
        return idp.initiate_auth(
            ClientId=idp.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": result["RefreshToken"], "SECRET_HASH": idp.hash(name)},
        )

    assert error_code(refresh, name=email) == "NotAuthorizedException"
    assert refresh(sub)["AuthenticationResult"]["AccessToken"]


# --- the SOFTWARE_TOKEN_MFA challenge -------------------------------------------------------------


def test_sign_in_with_mfa_goes_through_the_challenge(idp, clock):
    user, secret = with_mfa(idp, clock)
    challenge = password_auth(idp, user["email"])
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert challenge["ChallengeParameters"] == {"USER_ID_FOR_SRP": user["sub"]}
    assert "AuthenticationResult" not in challenge and len(challenge["Session"]) >= 20

    right = code_at(secret, clock())
    wrong = next(c for c in ("000000", "111111") if c != right)
    assert (
        error_code(respond_mfa, idp=idp, user=user, session=challenge["Session"], code=wrong) == "CodeMismatchException"
    )
    result = respond_mfa(idp, user, challenge["Session"], right)["AuthenticationResult"]  # still usable
    assert result["RefreshToken"] and result["TokenType"] == "Bearer"
    assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == user["sub"]

    # The session is spent, and so is the code's time step.
    assert error_message(respond_mfa, idp=idp, user=user, session=challenge["Session"], code=right) == (
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )
    again = password_auth(idp, user["email"])
    assert error_code(respond_mfa, idp=idp, user=user, session=again["Session"], code=right) == "CodeMismatchException"
    clock.advance(STEP_SECONDS)
    assert respond_mfa(idp, user, again["Session"], code_at(secret, clock()))["AuthenticationResult"]


def test_an_expired_session_is_refused(idp, clock):
    user, secret = with_mfa(idp, clock)
    session = password_auth(idp, user["email"])["Session"]
    clock.advance(181)
    assert error_message(respond_mfa, idp=idp, user=user, session=session, code=code_at(secret, clock())) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )


def test_five_wrong_codes_spend_the_session(idp, clock):
    user, secret = with_mfa(idp, clock)
    session = password_auth(idp, user["email"])["Session"]
    right = code_at(secret, clock())
    wrongs = [c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c != right][:5]
    for wrong in wrongs:
        assert error_code(respond_mfa, idp=idp, user=user, session=session, code=wrong) == "CodeMismatchException"
    assert error_code(respond_mfa, idp=idp, user=user, session=session, code=right) == "NotAuthorizedException"


def test_the_answer_must_match_the_sessions_user_challenge_and_hash(idp, clock):
    user, secret = with_mfa(idp, clock)
    other = signed_in(idp)
    session = password_auth(idp, user["email"])["Session"]
    code = code_at(secret, clock())
    assert (
        error_code(respond_mfa, idp=idp, user=user, session=session, code=code, username=other["sub"])
        == "NotAuthorizedException"
    )
    assert (
        error_code(
            idp.respond_to_auth_challenge,
            ClientId=idp.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses={
                "USERNAME": user["sub"],
                "SECRET_HASH": idp.hash(user["sub"]),
                "NEW_PASSWORD": "another password",
            },
        )
        == "InvalidParameterException"
    )
    assert (
        error_code(
            idp.respond_to_auth_challenge,
            ClientId=idp.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=session,
            ChallengeResponses={
                "USERNAME": user["sub"],
                "SECRET_HASH": idp.hash(user["email"]),
                "SOFTWARE_TOKEN_MFA_CODE": code,
            },
        )
        == "NotAuthorizedException"
    )
    assert error_code(respond_mfa, idp=idp, user=user, session="x" * 40, code=code) == "NotAuthorizedException"
    # None of that spent the session; the email works as USERNAME too, hashed on the email.
    assert respond_mfa(idp, user, session, code, username=user["email"])["AuthenticationResult"]


# --- NEW_PASSWORD_REQUIRED ------------------------------------------------------------------------


def respond_new_password(idp, sub: str, session: str, password: str) -> dict:
    return idp.respond_to_auth_challenge(
        ClientId=idp.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=session,
        ChallengeResponses={"USERNAME": sub, "SECRET_HASH": idp.hash(sub), "NEW_PASSWORD": password},
    )


def test_an_admin_created_user_must_choose_a_password(idp, admin, pool):
    email = admin_created(admin, pool)
    challenge = password_auth(idp, email, "temporary-pass-1")
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED" and "AuthenticationResult" not in challenge
    parameters = challenge["ChallengeParameters"]
    sub = parameters["USER_ID_FOR_SRP"]
    assert parameters["requiredAttributes"] == "[]"
    assert json.loads(parameters["userAttributes"]) == {"email": email, "email_verified": "false", "nickname": "Nick"}

    assert (
        error_code(respond_new_password, idp=idp, sub=sub, session=challenge["Session"], password="short")
        == "InvalidPasswordException"
    )
    result = respond_new_password(idp, sub, challenge["Session"], "my own password")["AuthenticationResult"]
    assert result["RefreshToken"]
    assert admin.admin_get_user(UserPoolId=pool.pool_id, Username=sub)["UserStatus"] == "CONFIRMED"
    assert error_code(password_auth, idp=idp, email=email, password="temporary-pass-1") == "NotAuthorizedException"
    assert password_auth(idp, email, "my own password")["AuthenticationResult"]["AccessToken"]


def test_the_mfa_challenge_follows_the_new_password(idp, admin, pool, clock):
    email = admin_created(admin, pool)
    sub = admin.admin_get_user(UserPoolId=pool.pool_id, Username=email)["Username"]
    secret = new_secret()
    pool.software_tokens[sub] = SoftwareToken(secret=secret, enabled=True)  # as if set up earlier
    session = password_auth(idp, email, "temporary-pass-1")["Session"]
    then = respond_new_password(idp, sub, session, "my own password")
    assert then["ChallengeName"] == "SOFTWARE_TOKEN_MFA" and "AuthenticationResult" not in then
    assert then["Session"] != session
    assert respond_mfa(idp, {"sub": sub}, then["Session"], code_at(secret, clock()))["AuthenticationResult"]


def test_a_temporary_password_expires_after_seven_days(tmp_path):
    clock = Clock()
    pool = LocalUserPool(str(tmp_path), clock=clock)
    local = LocalCognito(pool).start()
    try:
        idp, admin = clients(local, pool)
        email = admin_created(admin, pool)
        assert password_auth(idp, email, "temporary-pass-1")["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
        clock.advance(7 * 24 * 3600 + 1)
        assert error_message(password_auth, idp=idp, email=email, password="temporary-pass-1") == (
            "NotAuthorizedException",
            "Temporary password has expired and must be reset by an administrator.",
        )
    finally:
        local.stop()
