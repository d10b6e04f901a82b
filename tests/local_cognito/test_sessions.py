"""The local Cognito's sessions as Cognito keeps them, driven with boto3: access tokens carry the
session's origin_jti (the same across refreshes, a new jti each time); a password change or reset
ends no session (Cognito's ChangePassword and ConfirmForgotPassword revoke nothing, so the server
ends them itself); GlobalSignOut and AdminUserGlobalSignOut, named by email or by sub, end every
session of the user, and GetUser then refuses its access tokens; a sign-in by the user name Cognito
assigned (the sub) works as by the email."""

from __future__ import annotations

import jwt
import pytest

from tests.support import CODE, PASSWORD
from tests.support.local_pool import error_code, password_auth, signed_in

NEW_PASSWORD = PASSWORD + "_new"


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def refreshed(idp, result: dict, sub: str) -> dict:
    return idp.initiate_auth(
        ClientId=idp.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"], "SECRET_HASH": idp.hash(sub)},
    )["AuthenticationResult"]


def assert_live(idp, result: dict) -> None:
    assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == claims(result["AccessToken"])["sub"]
    assert refreshed(idp, result, claims(result["AccessToken"])["sub"])["AccessToken"]


def assert_ended(idp, result: dict) -> None:
    assert error_code(idp.get_user, AccessToken=result["AccessToken"]) == "NotAuthorizedException"
    sub = claims(result["AccessToken"])["sub"]
    assert error_code(lambda: refreshed(idp, result, sub)) == "NotAuthorizedException"


def test_access_tokens_carry_the_sessions_origin_jti(idp):
    first = signed_in(idp)
    again = refreshed(idp, first, first["sub"])
    one, two = claims(first["AccessToken"]), claims(again["AccessToken"])
    assert one["origin_jti"] and one["origin_jti"] == two["origin_jti"]
    assert one["jti"] != two["jti"]
    assert claims(first["IdToken"])["origin_jti"] == one["origin_jti"]
    other = password_auth(idp, first["email"])["AuthenticationResult"]
    assert claims(other["AccessToken"])["origin_jti"] != one["origin_jti"]


def test_a_password_change_or_reset_ends_no_session(idp):
    first = signed_in(idp)
    other = password_auth(idp, first["email"])["AuthenticationResult"]
    idp.change_password(PreviousPassword=PASSWORD, ProposedPassword=NEW_PASSWORD, AccessToken=first["AccessToken"])
    assert_live(idp, first)
    assert_live(idp, other)
    idp.forgot_password(ClientId=idp.client_id, SecretHash=idp.hash(first["email"]), Username=first["email"])
    idp.confirm_forgot_password(
        ClientId=idp.client_id,
        SecretHash=idp.hash(first["email"]),
        Username=first["email"],
        ConfirmationCode=CODE,
        Password=PASSWORD,
    )
    assert_live(idp, other)


def test_a_sign_in_by_the_sub_is_a_sign_in_of_the_user(idp):
    first = signed_in(idp)
    by_sub = password_auth(idp, first["sub"])["AuthenticationResult"]
    assert claims(by_sub["AccessToken"])["sub"] == first["sub"]
    assert error_code(lambda: password_auth(idp, first["sub"], "Not_the_password_1")) == "NotAuthorizedException"


@pytest.mark.parametrize("how", ["GlobalSignOut", "AdminUserGlobalSignOut by email", "AdminUserGlobalSignOut by sub"])
def test_a_global_sign_out_ends_every_session_of_the_user(idp, admin, pool, how):
    first = signed_in(idp)
    by_sub = password_auth(idp, first["sub"])["AuthenticationResult"]
    stranger = signed_in(idp)
    if how == "GlobalSignOut":
        idp.global_sign_out(AccessToken=by_sub["AccessToken"])
    else:
        admin.admin_user_global_sign_out(
            UserPoolId=pool.pool_id, Username=first["email"] if how.endswith("email") else first["sub"]
        )
    assert_ended(idp, first)
    assert_ended(idp, by_sub)
    assert_live(idp, stranger)
