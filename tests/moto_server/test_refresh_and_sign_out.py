"""Refresh and sign-out against moto's server: global sign-out, the refresh SECRET_HASH moto checks
on the email, and the refresh and revocation calls moto lacks."""

from __future__ import annotations

import jwt
import pytest
from botocore.exceptions import ClientError

from server.cognito import secret_hash
from tests.support import PASSWORD, Client
from tests.support.against_moto import (
    assert_clean_error,
    assert_clean_error_body,
    assert_moto_lacks,
    sign_in,
    signed_up,
)


def test_global_sign_out_ends_every_access_token(server):
    client, email, tokens = signed_up(server)
    other = sign_in(server, email)["access_token"]
    reply = client.call("signOut", access_token=tokens["access_token"], **{"global": True})
    assert reply.status == 200 and reply.json == {"message": "OK", "revoked": True}
    assert reply.clears_cookie("__Host-refresh")
    for token in (tokens["access_token"], other):
        assert_clean_error(client.call("getUser", access_token=token), 401, "NotAuthorized")
    assert_clean_error(client.call("refresh"), 401, "NoSession")


def test_moto_gap_refresh_secret_hash_is_checked_on_the_email(server, idp, pool):
    """In a pool with email as user name, Cognito checks REFRESH_TOKEN_AUTH's SECRET_HASH on the user
    name it assigned (the sub), which our server uses; moto checks it on the email the user signed
    in with. So against moto, refresh in such a pool ends the session: 401 SessionExpired; and a
    global signOut without an access token, which gets one by refreshing, signs this browser out but
    cannot end the other sessions: revoked false, for SessionExpired."""
    client, email, tokens = signed_up(server)
    reply = client.call("refresh")
    assert_clean_error(reply, 401, "SessionExpired")
    assert reply.clears_cookie("__Host-refresh")
    other = Client(server)
    assert other.call("signIn", user=email, **{"pass": PASSWORD}).status == 200
    reply = other.call("signOut", **{"global": True})
    assert reply.status == 200 and reply.json["revoked"] is False
    assert_clean_error_body(reply.json["revoke_error"], "SessionExpired")
    assert reply.clears_cookie("__Host-refresh")

    signed = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": email,
            "PASSWORD": PASSWORD,
            "SECRET_HASH": secret_hash(email, pool.client_id, pool.client_secret),
        },
    )
    refresh_token = signed["AuthenticationResult"]["RefreshToken"]
    sub = jwt.decode(tokens["access_token"], options={"verify_signature": False})["username"]
    with pytest.raises(ClientError) as refused:
        idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={
                "REFRESH_TOKEN": refresh_token,
                "SECRET_HASH": secret_hash(sub, pool.client_id, pool.client_secret),
            },
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    renewed = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={
            "REFRESH_TOKEN": refresh_token,
            "SECRET_HASH": secret_hash(email, pool.client_id, pool.client_secret),
        },
    )
    assert renewed["AuthenticationResult"]["AccessToken"]


def test_moto_gap_get_tokens_from_refresh_token_is_missing_yet_refresh_works(moto, plain_server):
    """In a pool whose user names are the emails, the name moto checks the hash on is the right
    one, and refresh works against moto whichever Cognito call it makes."""
    assert_moto_lacks(moto, "GetTokensFromRefreshToken")
    client, email, tokens = signed_up(plain_server)
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["username"] == email
    for _ in range(2):
        reply = client.call("refresh")
        assert reply.status == 200 and reply.json["token_type"] == "Bearer", reply.body
        assert "__Host-refresh" in client.cookies
        profile = client.call("getUser", access_token=reply.json["access_token"])
        assert profile.status == 200 and profile.json["attributes"]["email"] == email


def test_moto_gap_revoke_token_is_missing(moto, plain_server):
    """signOut revokes the refresh token (RevokeToken), which moto lacks: this browser is signed
    out all the same (200, the cookie cleared), the answer says Cognito did not revoke, with a clean
    code, and the token moto never revoked still refreshes."""
    assert_moto_lacks(moto, "RevokeToken")
    client, _, _ = signed_up(plain_server)
    kept = dict(client.cookies)
    reply = client.call("signOut")
    assert reply.status == 200 and reply.json["revoked"] is False
    assert_clean_error_body(reply.json["revoke_error"], "CognitoError")
    assert reply.clears_cookie("__Host-refresh") and "__Host-refresh" not in client.cookies
    replayed = Client(plain_server)
    replayed.cookies = kept
    assert replayed.call("refresh").status == 200


def test_moto_gap_a_disabled_user_can_still_refresh(idp, plain_pool, plain_server):
    """Cognito refuses a disabled user's refresh token (AdminDisableUser); moto renews it."""
    client, email, _ = signed_up(plain_server)
    idp.admin_disable_user(UserPoolId=plain_pool.id, Username=email)
    assert_clean_error(Client(plain_server).call("signIn", user=email, **{"pass": PASSWORD}), 401, "NotAuthorized")
    reply = client.call("refresh")
    assert reply.status == 200 and "access_token" in reply.json
