"""Accounts against moto's server: signing up, confirming, signing in, the profile, and passwords
changed and forgotten."""

from __future__ import annotations

import re

import jwt

from server.cognito import secret_hash
from tests.support import PASSWORD, Client
from tests.support.against_moto import ANY_CODE, NEW_PASSWORD, assert_clean_error, new_email, sign_in, signed_up


def test_sign_up_confirm_sign_in_and_the_profile(server):
    client, email = Client(server), new_email()
    reply = client.call("createAccount", user=email, nickname="Sam", **{"pass": PASSWORD})
    assert reply.status == 200 and reply.json["user_confirmed"] is False, reply.body
    assert reply.json["delivery"] == {"destination": f"{email[0]}***@e***", "medium": "EMAIL"}
    assert_clean_error(client.call("createAccount", user=email, **{"pass": PASSWORD}), 409, "UsernameExists")
    assert_clean_error(client.call("createAccount", user=new_email(), **{"pass": "short"}), 400, "InvalidPassword")
    assert_clean_error(client.call("signIn", user=email, **{"pass": PASSWORD}), 403, "UserNotConfirmed")

    reply = client.call("confirmAccount", user=email, conf_code=ANY_CODE, **{"pass": PASSWORD})
    assert reply.status == 200 and reply.json["token_type"] == "Bearer" and reply.json["expires_in"] > 0
    assert "__Host-refresh" in client.cookies and "refresh" not in reply.body.decode().lower()
    access = reply.json["access_token"]
    profile = client.call("getUser", access_token=access).json
    sub = jwt.decode(access, options={"verify_signature": False})["sub"]
    assert profile["username"] == sub and profile["attributes"]["sub"] == sub
    assert profile["attributes"]["email"] == email and profile["attributes"]["nickname"] == "Sam"

    assert client.call("updateUser", access_token=access, nickname="Samantha").json == {
        "message": "OK",
        "code_deliveries": [],
    }
    assert client.call("getUser", access_token=access).json["attributes"]["nickname"] == "Samantha"
    assert_clean_error(client.call("signIn", user=email, **{"pass": "not the password"}), 401, "NotAuthorized")
    assert sign_in(server, email)["access_token"] != access
    assert_clean_error(client.call("getUser", access_token=access + "x"), 401, "NotAuthorized")


def test_change_password(server):
    client, email, tokens = signed_up(server)
    assert_clean_error(
        client.call(
            "changePass", old_pass="wrong password", new_pass=NEW_PASSWORD, access_token=tokens["access_token"]
        ),
        401,
        "NotAuthorized",
    )
    reply = client.call("changePass", old_pass=PASSWORD, new_pass=NEW_PASSWORD, access_token=tokens["access_token"])
    assert reply.status == 200 and reply.json["other_sessions_ended"] is True, reply.body
    assert_clean_error(Client(server).call("signIn", user=email, **{"pass": PASSWORD}), 401, "NotAuthorized")
    sign_in(server, email, NEW_PASSWORD)


def test_forgot_password_then_a_new_one_with_moto_s_code(server, idp, pool):
    """moto does not email the reset code: it answers it in the header
    ``x-moto-forgot-password-confirmation-code`` of ForgotPassword, which the operator calls here
    to learn it."""
    _, email, _ = signed_up(server)
    client = Client(server)
    reply = client.call("forgotPassword", user=email)
    assert reply.status == 200 and reply.json["delivery"] == {"destination": f"{email[0]}***@e***", "medium": "EMAIL"}
    answer = idp.forgot_password(
        ClientId=pool.client_id, Username=email, SecretHash=secret_hash(email, pool.client_id, pool.client_secret)
    )
    code = answer["ResponseMetadata"]["HTTPHeaders"]["x-moto-forgot-password-confirmation-code"]
    assert re.fullmatch(r"moto-confirmation-code:\d{6}", code)
    reply = client.call("confirmForgotPassword", user=email, conf_code=code, new_pass=NEW_PASSWORD)
    assert reply.status == 200 and reply.json == {"message": "OK", "all_sessions_ended": True}
    sign_in(server, email, NEW_PASSWORD)
    assert_clean_error(client.call("signIn", user=email, **{"pass": PASSWORD}), 401, "NotAuthorized")
