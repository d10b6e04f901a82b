"""Sessions ended by a password change, a reset and a sign-out, against moto's own server: the calls
this server makes (GlobalSignOut, a sign-in with the user name Cognito assigned, AdminUserGlobalSignOut)
do there what Cognito documents, and the reads of a signed-out session stop even where moto lacks
RevokeToken."""

from __future__ import annotations

import jwt

from tests.support import Client, Photos, picture
from tests.support.against_moto import NEW_PASSWORD, assert_clean_error, sign_in, signed_up


def second_device(base_url: str, email: str) -> tuple[Client, str]:
    client = Client(base_url)
    reply = client.call("signIn", user=email, **{"pass": "I_love_apples"})
    assert reply.status == 200, reply.body
    return client, reply.json["access_token"]


def test_a_password_change_ends_the_other_sessions_and_keeps_the_callers(plain_server):
    caller, email, tokens = signed_up(plain_server)
    other, other_token = second_device(plain_server, email)
    reply = caller.call(
        "changePass", old_pass="I_love_apples", new_pass=NEW_PASSWORD, access_token=tokens["access_token"]
    )
    assert reply.status == 200 and reply.json["other_sessions_ended"] is True, reply.body
    assert_clean_error(other.call("refresh"), 401, "SessionExpired")
    assert_clean_error(other.call("getUser", access_token=other_token), 401, "NotAuthorized")
    assert_clean_error(caller.call("getUser", access_token=tokens["access_token"]), 401, "NotAuthorized")
    assert caller.call("refresh").status == 200
    assert caller.call("getUser", access_token=reply.json["access_token"]).json["attributes"]["email"] == email


def test_the_new_sign_in_names_the_user_as_moto_assigned_it(server):
    """In a pool with email as user name the new sign-in's USERNAME is the sub (the access token's
    ``username``), which moto, like Cognito, takes for the user."""
    caller, email, tokens = signed_up(server)
    sub = jwt.decode(tokens["access_token"], options={"verify_signature": False})["username"]
    assert sub != email
    reply = caller.call(
        "changePass", old_pass="I_love_apples", new_pass=NEW_PASSWORD, access_token=tokens["access_token"]
    )
    assert reply.status == 200 and reply.json["other_sessions_ended"] is True, reply.body
    assert caller.call("getUser", access_token=reply.json["access_token"]).json["attributes"]["email"] == email
    assert_clean_error(caller.call("getUser", access_token=tokens["access_token"]), 401, "NotAuthorized")


def test_a_reset_with_admin_credentials_ends_every_session(server):
    """The checklist's server has admin credentials (moto's STS): AdminUserGlobalSignOut."""
    _, email, tokens = signed_up(server)
    other_token = sign_in(server, email)["access_token"]
    reply = Client(server).call("confirmForgotPassword", user=email, conf_code="424242", new_pass=NEW_PASSWORD)
    assert reply.json == {"message": "OK", "all_sessions_ended": True}, reply.body
    for token in (tokens["access_token"], other_token):
        assert_clean_error(Client(server).call("getUser", access_token=token), 401, "NotAuthorized")


def test_a_reset_without_admin_credentials_signs_in_and_out_everywhere(plain_server):
    """The plain pool's server is given no admin credentials (the test environment has none): it
    signs in with the new password and calls GlobalSignOut, which moto serves."""
    device, email, tokens = signed_up(plain_server)
    other, other_token = second_device(plain_server, email)
    reply = Client(plain_server).call("confirmForgotPassword", user=email, conf_code="424242", new_pass=NEW_PASSWORD)
    assert reply.json == {"message": "OK", "all_sessions_ended": True}, reply.body
    for client, token in ((device, tokens["access_token"]), (other, other_token)):
        assert_clean_error(client.call("refresh"), 401, "SessionExpired")
        assert_clean_error(client.call("getUser", access_token=token), 401, "NotAuthorized")


def test_a_signed_out_session_stops_reading_though_moto_lacks_revoke_token(moto, plain_server):
    """moto cannot revoke the refresh token (no RevokeToken), so moto still takes the session's
    access token; this server remembered the session as signed out, and refuses it for reads and writes."""
    client, _, tokens = signed_up(plain_server)
    photos = Photos(client, tokens["access_token"])
    photo = photos.upload(picture()).json["photo"]
    reply = client.call("signOut")
    assert reply.status == 200 and reply.json["revoked"] is False
    assert Client(plain_server).call("getUser", access_token=tokens["access_token"]).status == 200  # moto's gap
    assert_clean_error(photos.list(), 401, "InvalidToken")
    assert_clean_error(photos.delete(photo["id"]), 401, "InvalidToken")


def test_moto_gap_a_global_sign_out_ends_only_the_sessions_signed_in_under_the_name_given(server, idp, pool):
    """Cognito's AdminUserGlobalSignOut ends every session of the user, whichever name (email or
    sub) the request and the sign-ins used; moto ends only those signed in under the very name the
    request gives. This server's reset names the user as the person typed it, as they sign in."""
    _, email, tokens = signed_up(server)
    sub = jwt.decode(tokens["access_token"], options={"verify_signature": False})["username"]
    idp.admin_user_global_sign_out(UserPoolId=pool.id, Username=sub)
    assert Client(server).call("getUser", access_token=tokens["access_token"]).status == 200
    idp.admin_user_global_sign_out(UserPoolId=pool.id, Username=email)
    assert_clean_error(Client(server).call("getUser", access_token=tokens["access_token"]), 401, "NotAuthorized")
