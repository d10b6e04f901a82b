"""The admin methods against moto's server, called by a member of the pool's admin group (the
``admin`` fixture): users created, listed, disabled, deleted, reset and confirmed, groups, and
sign-out everywhere."""

from __future__ import annotations

import uuid

from tests.support import PASSWORD, Client
from tests.support.against_moto import (
    ANY_CODE,
    NEW_PASSWORD,
    TEMPORARY_PASSWORD,
    assert_clean_error,
    new_email,
    sign_in,
    signed_up,
)


def admin_call(admin, env: str, **fields):
    client, token = admin
    return client.call(env, access_token=token, **fields)


def test_admin_methods_need_an_admin_s_token(server, admin):
    client = Client(server)
    assert_clean_error(client.call("adminListUsers"), 401, "MissingToken")
    assert_clean_error(client.call("adminListUsers", access_token="not.a.token"), 401, "InvalidToken")
    _, _, tokens = signed_up(server)
    assert_clean_error(client.call("adminListUsers", access_token=tokens["access_token"]), 403, "Forbidden")
    assert_clean_error(admin_call(admin, "adminGetUser", user=new_email("nobody")), 404, "UserNotFound")


def test_admin_creates_a_user_who_then_chooses_a_password(server, admin):
    email = new_email("invited")
    reply = admin_call(
        admin, "adminCreateUser", user=email, temp_pass=TEMPORARY_PASSWORD, suppress_email=True, nickname="Newbie"
    )
    assert reply.status == 200, reply.body
    created = reply.json["user"]
    assert created["email"] == email and created["status"] == "FORCE_CHANGE_PASSWORD" and created["enabled"]
    assert created["attributes"]["email_verified"] == "true" and created["attributes"]["nickname"] == "Newbie"
    assert_clean_error(
        admin_call(admin, "adminCreateUser", user=email, temp_pass=TEMPORARY_PASSWORD), 409, "UsernameExists"
    )

    client = Client(server)
    reply = client.call("signIn", user=email, **{"pass": TEMPORARY_PASSWORD})
    assert reply.status == 200 and reply.json["challenge"] == "NEW_PASSWORD_REQUIRED", reply.body
    reply = client.call("respondToChallenge", session=reply.json["session"], user=email, new_pass=NEW_PASSWORD)
    assert reply.status == 200 and "access_token" in reply.json, reply.body
    assert admin_call(admin, "adminGetUser", user=email).json["user"]["status"] == "CONFIRMED"
    sign_in(server, email, NEW_PASSWORD)


def test_admin_gets_and_lists_users_with_a_filter_and_pages(server, admin):
    prefix = f"listed-{uuid.uuid4().hex[:8]}"
    emails = {f"{prefix}-{n}@example.com" for n in range(3)}
    for email in emails:
        signed_up(server, email)
    found = admin_call(admin, "adminGetUser", user=min(emails)).json["user"]
    assert found["email"] == min(emails) and found["status"] == "CONFIRMED" and found["groups"] == []

    pages, page = [], {}
    while len(pages) < 3:
        reply = admin_call(admin, "adminListUsers", filter=f'email ^= "{prefix}"', limit=2, **page)
        assert reply.status == 200, reply.body
        pages.append([user["email"] for user in reply.json["users"]])
        if not reply.json["next_page"]:
            break
        page = {"page": reply.json["next_page"]}
    assert [len(emails_on_page) for emails_on_page in pages] == [2, 1]
    assert sorted(email for emails_on_page in pages for email in emails_on_page) == sorted(emails)
    exact = admin_call(admin, "adminListUsers", filter=f'email = "{min(emails)}"').json["users"]
    assert [user["email"] for user in exact] == [min(emails)]
    assert_clean_error(admin_call(admin, "adminListUsers", filter="email ~ nonsense"), 400, "InvalidParameter")
    assert_clean_error(admin_call(admin, "adminListUsers", limit=61), 400, "InvalidField")


def test_admin_disables_and_enables_a_user(server, admin):
    _, email, tokens = signed_up(server)
    assert admin_call(admin, "adminDisableUser", user=email).json == {"message": "OK"}
    assert admin_call(admin, "adminGetUser", user=email).json["user"]["enabled"] is False
    assert_clean_error(Client(server).call("signIn", user=email, **{"pass": PASSWORD}), 401, "NotAuthorized")
    assert_clean_error(Client(server).call("getUser", access_token=tokens["access_token"]), 401, "NotAuthorized")
    assert admin_call(admin, "adminEnableUser", user=email).json == {"message": "OK"}
    sign_in(server, email)


def test_moto_gap_access_tokens_come_back_after_disable_and_enable(server, admin):
    """Cognito's AdminDisableUser revokes the user's access tokens; moto only refuses them while
    the user is disabled."""
    _, email, tokens = signed_up(server)
    admin_call(admin, "adminDisableUser", user=email)
    admin_call(admin, "adminEnableUser", user=email)
    assert Client(server).call("getUser", access_token=tokens["access_token"]).status == 200


def test_admin_deletes_a_user(server, admin):
    _, email, _ = signed_up(server)
    assert admin_call(admin, "adminDeleteUser", user=email).json == {"message": "OK"}
    assert_clean_error(admin_call(admin, "adminGetUser", user=email), 404, "UserNotFound")
    assert_clean_error(Client(server).call("signIn", user=email, **{"pass": PASSWORD}), 401, "NotAuthorized")
    assert_clean_error(admin_call(admin, "adminDeleteUser", user=email), 404, "UserNotFound")


def invited(server: str, admin) -> str:
    """A user an admin created (so with a verified email) who has chosen a password: their email."""
    email = new_email("invited")
    reply = admin_call(admin, "adminCreateUser", user=email, temp_pass=TEMPORARY_PASSWORD, suppress_email=True)
    assert reply.status == 200, reply.body
    client = Client(server)
    step = client.call("signIn", user=email, **{"pass": TEMPORARY_PASSWORD}).json
    reply = client.call("respondToChallenge", session=step["session"], user=email, new_pass=PASSWORD)
    assert reply.status == 200, reply.body
    return email


def test_admin_resets_a_password(server, admin):
    email = invited(server, admin)
    assert admin_call(admin, "adminResetPassword", user=email).json == {"message": "OK"}
    assert admin_call(admin, "adminGetUser", user=email).json["user"]["status"] == "RESET_REQUIRED"
    reply = Client(server).call("confirmForgotPassword", user=email, conf_code=ANY_CODE, new_pass=NEW_PASSWORD)
    assert reply.status == 200, reply.body
    sign_in(server, email, NEW_PASSWORD)


def test_moto_gap_a_reset_password_still_signs_in(server, admin):
    """After AdminResetUserPassword Cognito no longer signs the user in with the old password (a
    reset is required first: our 403 PasswordResetRequired); moto does."""
    email = invited(server, admin)
    admin_call(admin, "adminResetPassword", user=email)
    assert admin_call(admin, "adminGetUser", user=email).json["user"]["status"] == "RESET_REQUIRED"
    assert "access_token" in sign_in(server, email, PASSWORD)


def test_moto_gap_confirming_a_sign_up_does_not_verify_the_email(server, admin):
    """Confirming with the emailed code proves the email, and Cognito marks it verified; moto does
    not, so adminResetPassword (which needs a verified email) is refused for such an account."""
    client, email, tokens = signed_up(server)
    attributes = client.call("getUser", access_token=tokens["access_token"]).json["attributes"]
    assert attributes.get("email_verified") != "true"
    assert_clean_error(admin_call(admin, "adminResetPassword", user=email), 400, "InvalidParameter")


def test_admin_confirms_a_sign_up(server, admin):
    client, email = Client(server), new_email()
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    assert admin_call(admin, "adminGetUser", user=email).json["user"]["status"] == "UNCONFIRMED"
    assert admin_call(admin, "adminConfirmSignUp", user=email).json == {"message": "OK"}
    sign_in(server, email)


def test_moto_gap_confirming_a_confirmed_user_succeeds(server, admin):
    """Cognito refuses AdminConfirmSignUp for a confirmed user (NotAuthorizedException: our 409
    UserStateConflict); moto confirms again."""
    _, email, _ = signed_up(server)
    assert admin_call(admin, "adminConfirmSignUp", user=email).status == 200


def test_admin_groups_reach_the_next_sign_in_s_token(server, admin):
    _, email, _ = signed_up(server)
    assert admin_call(admin, "adminAddUserToGroup", user=email, group="admin").json == {"message": "OK"}
    assert admin_call(admin, "adminGetUser", user=email).json["user"]["groups"] == ["admin"]
    promoted = (Client(server), sign_in(server, email)["access_token"])
    assert admin_call(promoted, "adminListUsers", limit=1).status == 200
    assert admin_call(admin, "adminRemoveUserFromGroup", user=email, group="admin").json == {"message": "OK"}
    demoted = (Client(server), sign_in(server, email)["access_token"])
    assert_clean_error(admin_call(demoted, "adminListUsers", limit=1), 403, "Forbidden")
    assert_clean_error(
        admin_call(admin, "adminAddUserToGroup", user=email, group="no-such-group"), 404, "GroupNotFound"
    )


def test_admin_signs_a_user_out_everywhere(server, admin):
    client, email, tokens = signed_up(server)
    assert admin_call(admin, "adminSignOut", user=email).json == {"message": "OK"}
    assert_clean_error(client.call("getUser", access_token=tokens["access_token"]), 401, "NotAuthorized")
    sign_in(server, email)
