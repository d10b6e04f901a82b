"""Authenticator-app MFA against moto's server (its TOTP checks on): setting it up, signing in with
a code, and where moto's challenges and secrets differ from Cognito's."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError

from server.cognito import secret_hash
from tests.support import PASSWORD
from tests.support.against_moto import (
    assert_clean_error,
    mfa_step,
    sign_in,
    signed_up,
    totp_code,
    with_authenticator,
    wrong_code,
)

# moto's one TOTP secret, handed to every user (see test_moto_gap_every_user_gets_the_same_totp_secret).
MOTO_TOTP_SECRET = "asdfasdfasdf"


def test_authenticator_app_set_up_and_mfa_sign_in(server):
    client, email, tokens = signed_up(server)
    reply = client.call("QR_init", access_token=tokens["access_token"], user=email)
    assert reply.status == 200, reply.body
    secret = reply.json["secret_code"]
    assert f"secret={secret}" in reply.json["otpauth_uri"] and reply.json["qr_svg"].startswith("<svg")
    assert_clean_error(
        client.call("QR_TOTP", access_token=tokens["access_token"], totp=wrong_code(secret)), 400, "CodeMismatch"
    )
    reply = client.call("QR_TOTP", access_token=tokens["access_token"], totp=totp_code(secret), device_name="phone")
    assert reply.status == 200 and reply.json == {"message": "OK", "mfa_enabled": True}

    client, session = mfa_step(server, email)
    assert_clean_error(
        client.call("respondToChallenge", session=session, user=email, totp=wrong_code(secret)), 400, "CodeMismatch"
    )
    reply = client.call("respondToChallenge", session=session, user=email, totp=totp_code(secret))  # tried again
    assert reply.status == 200 and reply.json["token_type"] == "Bearer", reply.body
    assert "__Host-refresh" in client.cookies
    access = reply.json["access_token"]
    profile = client.call("getUser", access_token=access).json
    assert profile["attributes"]["email"] == email
    # moto's GetUser answers UserMFASettingList as Cognito's does: getUser says codes are on.
    assert (profile["mfa_enabled"], profile["mfa_methods"]) == (True, ["SOFTWARE_TOKEN_MFA"])

    assert client.call("setMfa", access_token=access, enabled=False).json == {"message": "OK", "mfa_enabled": False}
    profile = client.call("getUser", access_token=access).json
    assert (profile["mfa_enabled"], profile["mfa_methods"]) == (False, [])
    assert "access_token" in sign_in(server, email)


def test_moto_gap_challenges_lack_user_id_for_srp(server, idp, pool):
    """Cognito names the user (its user name, the sub here) in USER_ID_FOR_SRP, and the challenge
    answer's SECRET_HASH must be computed on it; moto leaves it out. Our server then needs the
    ``user`` the person typed (the page sends it), and moto checks the hash on that email."""
    email, secret = with_authenticator(server)
    answer = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": email,
            "PASSWORD": PASSWORD,
            "SECRET_HASH": secret_hash(email, pool.client_id, pool.client_secret),
        },
    )
    assert answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA" and "USER_ID_FOR_SRP" not in answer["ChallengeParameters"]

    client, session = mfa_step(server, email)
    reply = client.call("respondToChallenge", session=session, totp=totp_code(secret))
    assert_clean_error(reply, 400, "MissingField")
    assert reply.json["field"] == "user"
    reply = client.call("respondToChallenge", session=session, user=email, totp=totp_code(secret))
    assert reply.status == 200 and "access_token" in reply.json, reply.body


def test_moto_gap_every_user_gets_the_same_totp_secret(server):
    """Cognito makes a unique key per user (AssociateSoftwareToken); moto hands everyone one, and
    a short one: under RFC 4226's 128-bit minimum, which some authenticator apps (and pyotp) refuse."""
    secrets = set()
    for _ in range(2):
        client, email, tokens = signed_up(server)
        secrets.add(client.call("QR_init", access_token=tokens["access_token"], user=email).json["secret_code"])
    assert secrets == {MOTO_TOTP_SECRET}
    assert len(base64.b32decode(MOTO_TOTP_SECRET.upper() + "=" * (-len(MOTO_TOTP_SECRET) % 8))) * 8 == 56


def test_moto_gap_a_used_challenge_session_is_not_found(server, idp, pool):
    """Cognito refuses a challenge session that was used with NotAuthorizedException (our 401
    ChallengeExpired); moto has forgotten it and answers ResourceNotFoundException."""
    email, secret = with_authenticator(server)
    hashed = secret_hash(email, pool.client_id, pool.client_secret)
    step = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": hashed},
    )
    answer = {
        "ClientId": pool.client_id,
        "ChallengeName": "SOFTWARE_TOKEN_MFA",
        "Session": step["Session"],
        "ChallengeResponses": {"USERNAME": email, "SECRET_HASH": hashed, "SOFTWARE_TOKEN_MFA_CODE": totp_code(secret)},
    }
    assert idp.respond_to_auth_challenge(**answer)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as refused:
        idp.respond_to_auth_challenge(**answer)
    assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"

    client, session = mfa_step(server, email)
    code = totp_code(secret)
    assert client.call("respondToChallenge", session=session, user=email, totp=code).status == 200
    reply = client.call("respondToChallenge", session=session, user=email, totp=code)
    # From Cognito, ResourceNotFoundException means the pool or its app client is gone: something
    # only whoever runs the server can fix, so that is what our server says (never a 500), rather
    # than the 401 ChallengeExpired a real Cognito's answer would give.
    assert_clean_error(reply, 503, "CognitoMisconfigured")
    assert "ResourceNotFound" not in reply.body.decode()
