"""Operations moto's server lacks, and codes and hashes it does not check, with what our server
answers then; and what moto says of users who do not exist."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from server.cognito import secret_hash
from tests.support import PASSWORD, Client
from tests.support.against_moto import (
    NEW_PASSWORD,
    assert_clean_error,
    assert_moto_lacks,
    new_email,
    sign_in,
    signed_up,
)


def test_moto_gap_resend_confirmation_code_is_missing(moto, server):
    assert_moto_lacks(moto, "ResendConfirmationCode")
    client, email = Client(server), new_email()
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    assert_clean_error(client.call("resendCode", user=email))


def test_moto_gap_delete_user_is_missing(moto, server):
    """deleteAcct is a clean error, and nothing is deleted half-way: the account still signs in."""
    assert_moto_lacks(moto, "DeleteUser")
    client, email, tokens = signed_up(server)
    assert_clean_error(client.call("deleteAcct", access_token=tokens["access_token"]))
    assert "__Host-refresh" in client.cookies
    sign_in(server, email)


def test_moto_gap_confirmation_codes_are_not_checked(server):
    """Cognito checks the emailed code (CodeMismatchException) and refuses to confirm a confirmed
    account (NotAuthorizedException); moto's ConfirmSignUp takes any code, any number of times."""
    client, email = Client(server), new_email()
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    for code in ("999999", "not even digits"):
        reply = client.call("confirmAccount", user=email, conf_code=code, **{"pass": PASSWORD})
        assert reply.status == 200 and "access_token" in reply.json, reply.body


def test_moto_gap_reset_codes_are_checked_only_in_moto_s_own_format(server):
    """moto's ConfirmForgotPassword takes any code except a wrong one in its own format
    (``moto-confirmation-code:NNNNNN``), which it calls expired; Cognito says CodeMismatch. Our server
    answers every refusal of a code as CodeMismatch anyway (docs/security.md)."""
    client, email, _ = signed_up(server)
    assert client.call("forgotPassword", user=email).status == 200
    reply = client.call("confirmForgotPassword", user=email, conf_code="424242", new_pass=NEW_PASSWORD)
    assert reply.status == 200, reply.body
    sign_in(server, email, NEW_PASSWORD)
    assert client.call("forgotPassword", user=email).status == 200
    assert_clean_error(
        client.call("confirmForgotPassword", user=email, conf_code="moto-confirmation-code:000000", new_pass=PASSWORD),
        400,
        "CodeMismatch",
    )


def test_moto_gap_unknown_users_are_named_despite_prevent_user_existence_errors(server, idp, pool):
    """With PreventUserExistenceErrors ENABLED Cognito answers an unknown user like a wrong
    password; moto answers UserNotFoundException. Our server answers both alike anyway."""
    nobody = new_email("nobody")
    with pytest.raises(ClientError) as told:
        idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": nobody,
                "PASSWORD": PASSWORD,
                "SECRET_HASH": secret_hash(nobody, pool.client_id, pool.client_secret),
            },
        )
    assert told.value.response["Error"]["Code"] == "UserNotFoundException"
    _, email, _ = signed_up(server)
    unknown = Client(server).call("signIn", user=nobody, **{"pass": PASSWORD})
    wrong = Client(server).call("signIn", user=email, **{"pass": "not the password"})
    assert_clean_error(unknown, 401, "NotAuthorized")
    assert unknown.json == wrong.json


def test_moto_gap_an_unknown_user_s_reset_destination_gives_them_away(server, idp, pool):
    """With PreventUserExistenceErrors ENABLED Cognito answers a reset for an unknown user with a
    simulated delivery; moto's made-up destination holds the whole email typed, unlike a real
    user's masked one. Our server never passes a destination on: it answers one made from the email
    typed, for an account and for none alike (docs/security.md)."""
    _, email, _ = signed_up(server)
    nobody = new_email("nobody")
    told = idp.forgot_password(
        ClientId=pool.client_id, Username=nobody, SecretHash=secret_hash(nobody, pool.client_id, pool.client_secret)
    )
    assert told["CodeDeliveryDetails"]["Destination"] == f"{nobody}@h***.com"
    known = Client(server).call("forgotPassword", user=email)
    unknown = Client(server).call("forgotPassword", user=nobody)
    assert known.status == unknown.status == 200
    assert known.json["delivery"] == {"destination": f"{email[0]}***@e***", "medium": "EMAIL"}
    assert unknown.json["delivery"] == {"destination": f"{nobody[0]}***@e***", "medium": "EMAIL"}


def test_moto_gap_sign_up_announces_the_code_by_the_recovery_setting(idp):
    """Cognito sends the confirmation code to the pool's auto-verified attribute (here the email);
    moto announces it where account recovery would send a reset code, which for a pool without an
    AccountRecoverySetting is an SMS to a made-up number. The checklist's pools recover by email."""
    bare = idp.create_user_pool(
        PoolName="no-recovery-setting", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"]
    )["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=bare, ClientName="bare")["UserPoolClient"]["ClientId"]
    email = new_email()
    answer = idp.sign_up(
        ClientId=client_id, Username=email, Password="Long_enough_1", UserAttributes=[{"Name": "email", "Value": email}]
    )
    assert answer["CodeDeliveryDetails"] == {
        "Destination": "+*******9934",
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }


def test_moto_gap_secret_hash_is_not_checked_on_sign_up_and_password_sign_in(idp, pool):
    """Cognito refuses a wrong SECRET_HASH everywhere; moto checks it only on refresh and on
    challenge answers, where our server's hash is proven right by the tests above."""
    email = new_email("no-hash")
    idp.sign_up(
        ClientId=pool.client_id,
        Username=email,
        Password=PASSWORD,
        SecretHash="not-the-hash",
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    idp.admin_confirm_sign_up(UserPoolId=pool.id, Username=email)
    answer = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": "not-the-hash"},
    )
    assert answer["AuthenticationResult"]["AccessToken"]
