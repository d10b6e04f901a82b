"""The local Cognito's admin operations (local_cognito/admin.py) and the local admin.

Admin calls go over HTTP with a boto3 client that signs with dummy keys, as the server's does in local
mode; public calls are unsigned, as the server sends them.
"""

from __future__ import annotations

import logging
import re
import uuid

import botocore.exceptions
import jwt
import pytest

from local_cognito import start_local_cognito
from local_cognito.service import CognitoFault, LocalUserPool
from server.cognito import secret_hash
from server.config import ConfigError, load_config
from tests.support import CODE, PASSWORD
from tests.support.local_pool import (
    created,
    error_code,
    error_message,
    groups_claim,
    new_email,
    password_auth,
    signed_in,
    with_mfa,
)


# --- signing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation,params",
    [
        ("admin_get_user", {"Username": "someone@example.com"}),
        ("list_users", {}),
        ("create_group", {"GroupName": "unsigned"}),
        ("get_group", {"GroupName": "unsigned"}),
        ("list_groups", {}),
        ("admin_create_user", {"Username": "unsigned@example.com"}),
    ],
)
def test_admin_calls_need_a_signature(idp, pool, operation, params):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        getattr(idp, operation)(UserPoolId=pool.pool_id, **params)
    assert caught.value.response["Error"] == {
        "Code": "MissingAuthenticationTokenException",
        "Message": "Missing Authentication Token",
    }
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert pool.find_user("unsigned@example.com") is None and "unsigned" not in pool.pool.groups


def test_public_calls_still_work_unsigned(idp):
    assert signed_in(idp)["AccessToken"]


# --- creating users -------------------------------------------------------------------------------


def test_admin_create_user_emails_a_working_temporary_password(idp, admin, pool, caplog):
    email = new_email()
    with caplog.at_level(logging.WARNING, logger="local_cognito.mail"):
        user = admin.admin_create_user(
            UserPoolId=pool.pool_id,
            Username=email,
            UserAttributes=[{"Name": "email_verified", "Value": "true"}, {"Name": "given_name", "Value": "Ada"}],
        )["User"]
    [temporary] = re.findall(rf"Email to {re.escape(email)}: your temporary password is (\S+)", caplog.text)
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD" and user["Enabled"] is True
    assert str(uuid.UUID(user["Username"])) == user["Username"]  # the sub, not the email
    attributes = {a["Name"]: a["Value"] for a in user["Attributes"]}
    assert attributes == {"email": email, "email_verified": "true", "given_name": "Ada", "sub": user["Username"]}
    assert user["UserCreateDate"] and user["UserLastModifiedDate"]
    assert password_auth(idp, email, temporary)["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_suppress_sends_no_invitation(admin, pool, caplog):
    email = new_email()
    with caplog.at_level(logging.WARNING, logger="local_cognito.mail"):
        created(admin, pool, email, TemporaryPassword="temporary-pass-1")
    assert email not in caplog.text


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"Username": "not-an-email"}, "InvalidParameterException"),
        ({"TemporaryPassword": "short"}, "InvalidPasswordException"),
        ({"UserAttributes": [{"Name": "custom:x", "Value": "1"}]}, "InvalidParameterException"),
        ({"UserPoolId": "us-east-1_NotThis1"}, "ResourceNotFoundException"),
    ],
)
def test_admin_create_user_refuses_bad_input(admin, pool, params, expected):
    params = dict({"UserPoolId": pool.pool_id, "Username": new_email()}, **params)
    assert error_code(admin.admin_create_user, **params) == expected
    assert pool.find_user(params["Username"]) is None


def test_an_existing_email_is_refused_and_resend_sends_a_new_password(idp, admin, pool, caplog):
    email = new_email()
    created(admin, pool, email, TemporaryPassword="temporary-pass-1")
    assert (
        error_code(admin.admin_create_user, UserPoolId=pool.pool_id, Username=email.upper())
        == "UsernameExistsException"
    )
    with caplog.at_level(logging.WARNING, logger="local_cognito.mail"):
        admin.admin_create_user(UserPoolId=pool.pool_id, Username=email, MessageAction="RESEND")
    [fresh] = re.findall(r"your temporary password is (\S+)", caplog.text)
    assert error_code(password_auth, idp=idp, email=email, password="temporary-pass-1") == "NotAuthorizedException"
    assert password_auth(idp, email, fresh)["ChallengeName"] == "NEW_PASSWORD_REQUIRED"

    confirmed = signed_in(idp)["email"]
    assert (
        error_code(admin.admin_create_user, UserPoolId=pool.pool_id, Username=confirmed, MessageAction="RESEND")
        == "UnsupportedUserStateException"
    )
    assert (
        error_code(admin.admin_create_user, UserPoolId=pool.pool_id, Username=new_email(), MessageAction="RESEND")
        == "UserNotFoundException"
    )


# --- reading users --------------------------------------------------------------------------------


def test_admin_get_user_by_email_or_sub(idp, admin, pool):
    user = signed_in(idp)
    for name in (user["email"], user["sub"], user["email"].upper()):
        seen = admin.admin_get_user(UserPoolId=pool.pool_id, Username=name)
        assert seen["Username"] == user["sub"] and seen["UserStatus"] == "CONFIRMED" and seen["Enabled"]
        assert {"Name": "email", "Value": user["email"]} in seen["UserAttributes"]
        assert seen["UserMFASettingList"] == [] and "PreferredMfaSetting" not in seen
    assert error_message(admin.admin_get_user, UserPoolId=pool.pool_id, Username=new_email()) == (
        "UserNotFoundException",
        "User does not exist.",
    )
    assert (
        error_code(admin.admin_get_user, UserPoolId="us-east-1_NotThis1", Username=user["email"])
        == "ResourceNotFoundException"
    )


def listed(admin, pool, **params) -> list[dict]:
    return admin.list_users(UserPoolId=pool.pool_id, **params)["Users"]


def test_list_users_filters(idp, admin, pool):
    marker = f"lu{uuid.uuid4().hex[:8]}"
    first = signed_in(idp, f"{marker}-first@example.com")
    second = signed_in(idp, f"{marker}-second@example.com")
    invited = created(
        admin,
        pool,
        f"{marker}-invited@example.com",
        UserAttributes=[{"Name": "given_name", "Value": f'{marker} "Quoted"'}],
    )
    admin.admin_disable_user(UserPoolId=pool.pool_id, Username=second["email"])
    ours = {first["sub"], second["sub"], invited["Username"]}

    def subs(text):
        return {u["Username"] for u in listed(admin, pool, Filter=text)} & ours

    assert subs(f'email ^= "{marker}"') == ours
    assert subs(f'email = "{marker}-first@example.com"') == {first["sub"]}
    assert subs(f'email = "{marker}"') == set()  # = is exact
    assert subs(f'email = "{marker.upper()}-FIRST@example.com"') == {first["sub"]}
    assert subs('status = "Disabled"') == {second["sub"]}
    assert subs('status = "Enabled"') == {first["sub"], invited["Username"]}
    assert subs('cognito:user_status = "FORCE_CHANGE_PASSWORD"') == {invited["Username"]}
    assert subs(f'sub = "{first["sub"]}"') == {first["sub"]}
    assert subs(f'username = "{second["sub"]}"') == {second["sub"]}
    assert subs(f'given_name = "{marker} \\"Quoted\\""') == {invited["Username"]}
    assert subs("") == ours


@pytest.mark.parametrize(
    "text",
    [
        "email = unquoted@example.com",
        'email == "x"',
        'nickname = "x"',
        'custom:x = "1"',
        'email = "a" and sub = "b"',
        'email = "dangling',
    ],
)
def test_a_malformed_or_unsupported_filter_is_refused(admin, pool, text):
    assert error_code(admin.list_users, UserPoolId=pool.pool_id, Filter=text) == "InvalidParameterException"


def test_list_users_pages_in_creation_order(idp, admin, pool):
    marker = f"pg{uuid.uuid4().hex[:8]}"
    made = [created(admin, pool, f"{marker}-{i}@example.com")["Username"] for i in range(5)]
    pages, token = [], None
    while True:
        more = {"PaginationToken": token} if token else {}
        answer = admin.list_users(UserPoolId=pool.pool_id, Filter=f'email ^= "{marker}"', Limit=2, **more)
        pages.append([u["Username"] for u in answer["Users"]])
        token = answer.get("PaginationToken")
        if not token:
            break
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [sub for page in pages for sub in page] == made
    only_email = listed(admin, pool, Filter=f'email ^= "{marker}"', AttributesToGet=["email"])
    assert all([a["Name"] for a in u["Attributes"]] == ["email"] for u in only_email)
    assert error_code(admin.list_users, UserPoolId=pool.pool_id, Limit=61) == "InvalidParameterException"
    assert (
        error_code(admin.list_users, UserPoolId=pool.pool_id, PaginationToken="not-a-token")
        == "InvalidParameterException"
    )


# --- changing users -------------------------------------------------------------------------------


def refresh(idp, result: dict) -> dict:
    return idp.initiate_auth(
        ClientId=idp.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"], "SECRET_HASH": idp.hash(result["sub"])},
    )


def test_disabling_revokes_tokens_and_blocks_sign_in(idp, admin, pool):
    user = signed_in(idp)
    admin.admin_disable_user(UserPoolId=pool.pool_id, Username=user["email"])
    assert error_code(refresh, idp=idp, result=user) == "NotAuthorizedException"
    assert error_code(idp.get_user, AccessToken=user["AccessToken"]) == "NotAuthorizedException"
    assert error_message(password_auth, idp=idp, email=user["email"]) == ("NotAuthorizedException", "User is disabled.")
    assert admin.admin_get_user(UserPoolId=pool.pool_id, Username=user["email"])["Enabled"] is False

    admin.admin_enable_user(UserPoolId=pool.pool_id, Username=user["email"])
    assert password_auth(idp, user["email"])["AuthenticationResult"]["AccessToken"]
    assert error_code(refresh, idp=idp, result=user) == "NotAuthorizedException"  # still revoked


def test_admin_global_sign_out_revokes_every_session(idp, admin, pool):
    user = signed_in(idp)
    admin.admin_user_global_sign_out(UserPoolId=pool.pool_id, Username=user["sub"])
    assert error_code(refresh, idp=idp, result=user) == "NotAuthorizedException"
    assert error_code(idp.get_user, AccessToken=user["AccessToken"]) == "NotAuthorizedException"
    assert password_auth(idp, user["email"])["AuthenticationResult"]  # signing in again works


def test_admin_delete_user_forgets_everything(idp, admin, pool):
    user, secret = with_mfa(idp, pool.clock)
    group = f"g{uuid.uuid4().hex[:8]}"
    admin.create_group(UserPoolId=pool.pool_id, GroupName=group)
    admin.admin_add_user_to_group(UserPoolId=pool.pool_id, Username=user["email"], GroupName=group)
    admin.admin_delete_user(UserPoolId=pool.pool_id, Username=user["email"])

    assert error_code(admin.admin_get_user, UserPoolId=pool.pool_id, Username=user["email"]) == "UserNotFoundException"
    assert error_code(idp.get_user, AccessToken=user["AccessToken"]) == "NotAuthorizedException"
    assert error_code(refresh, idp=idp, result=user) == "NotAuthorizedException"
    assert error_code(password_auth, idp=idp, email=user["email"]) == "NotAuthorizedException"
    pool.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every commit in the file, the log emptied
    with open(pool.store.path, "rb") as database:
        assert secret.encode() not in database.read()  # overwritten, not just unlinked (secure_delete)
    assert user["sub"] not in pool.software_tokens  # gone, not just unreachable
    # Signing up again with the email starts from nothing: no MFA, no groups.
    again = signed_in(idp, user["email"])
    assert again["sub"] != user["sub"] and groups_claim(again["AccessToken"]) == []
    assert idp.get_user(AccessToken=again["AccessToken"])["UserMFASettingList"] == []


def test_admin_reset_user_password_requires_a_reset(idp, admin, pool):
    user = signed_in(idp)
    admin.admin_reset_user_password(UserPoolId=pool.pool_id, Username=user["email"])
    assert admin.admin_get_user(UserPoolId=pool.pool_id, Username=user["email"])["UserStatus"] == "RESET_REQUIRED"
    assert error_code(password_auth, idp=idp, email=user["email"]) == "PasswordResetRequiredException"
    idp.confirm_forgot_password(
        ClientId=idp.client_id,
        SecretHash=idp.hash(user["email"]),
        Username=user["email"],
        ConfirmationCode=CODE,
        Password="a new password",
    )
    assert password_auth(idp, user["email"], "a new password")["AuthenticationResult"]

    unconfirmed = new_email()
    idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(unconfirmed), Username=unconfirmed, Password=PASSWORD)
    assert (
        error_code(admin.admin_reset_user_password, UserPoolId=pool.pool_id, Username=unconfirmed)
        == "NotAuthorizedException"
    )


def test_admin_confirm_sign_up(idp, admin, pool):
    email = new_email()
    idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD)
    assert error_code(password_auth, idp=idp, email=email) == "UserNotConfirmedException"
    admin.admin_confirm_sign_up(UserPoolId=pool.pool_id, Username=email)
    assert password_auth(idp, email)["AuthenticationResult"]["AccessToken"]
    assert error_message(admin.admin_confirm_sign_up, UserPoolId=pool.pool_id, Username=email) == (
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is CONFIRMED",
    )


@pytest.mark.parametrize(
    "operation,params",
    [
        ("admin_get_user", {}),
        ("admin_disable_user", {}),
        ("admin_enable_user", {}),
        ("admin_delete_user", {}),
        ("admin_reset_user_password", {}),
        ("admin_confirm_sign_up", {}),
        ("admin_user_global_sign_out", {}),
        ("admin_list_groups_for_user", {}),
        ("admin_add_user_to_group", {"GroupName": "x"}),
        ("admin_remove_user_from_group", {"GroupName": "x"}),
    ],
)
def test_an_unknown_user_is_not_found(admin, pool, operation, params):
    assert (
        error_code(getattr(admin, operation), UserPoolId=pool.pool_id, Username=new_email(), **params)
        == "UserNotFoundException"
    )


# --- groups ---------------------------------------------------------------------------------------


def test_groups_and_their_members_show_in_tokens(idp, admin, pool):
    name = f"editors-{uuid.uuid4().hex[:8]}"
    group = admin.create_group(UserPoolId=pool.pool_id, GroupName=name, Description="Edit things", Precedence=3)[
        "Group"
    ]
    assert (group["GroupName"], group["Description"], group["Precedence"]) == (name, "Edit things", 3)
    assert error_code(admin.create_group, UserPoolId=pool.pool_id, GroupName=name) == "GroupExistsException"
    assert admin.get_group(UserPoolId=pool.pool_id, GroupName=name)["Group"]["GroupName"] == name
    assert error_message(admin.get_group, UserPoolId=pool.pool_id, GroupName="no-such-group") == (
        "ResourceNotFoundException",
        "Group not found.",
    )

    user = signed_in(idp)
    assert (
        error_code(
            admin.admin_add_user_to_group, UserPoolId=pool.pool_id, Username=user["email"], GroupName="no-such-group"
        )
        == "ResourceNotFoundException"
    )
    admin.admin_add_user_to_group(UserPoolId=pool.pool_id, Username=user["email"], GroupName=name)
    listed_groups = admin.admin_list_groups_for_user(UserPoolId=pool.pool_id, Username=user["sub"])["Groups"]
    assert [g["GroupName"] for g in listed_groups] == [name]
    tokens = password_auth(idp, user["email"])["AuthenticationResult"]
    assert groups_claim(tokens["AccessToken"]) == [name] == groups_claim(tokens["IdToken"])

    admin.admin_remove_user_from_group(UserPoolId=pool.pool_id, Username=user["email"], GroupName=name)
    assert admin.admin_list_groups_for_user(UserPoolId=pool.pool_id, Username=user["sub"])["Groups"] == []
    assert groups_claim(password_auth(idp, user["email"])["AuthenticationResult"]["AccessToken"]) == []


def test_list_groups_pages(admin, pool):
    for i in range(3):
        admin.create_group(UserPoolId=pool.pool_id, GroupName=f"paged-{uuid.uuid4().hex[:8]}-{i}")
    everything = [g["GroupName"] for g in admin.list_groups(UserPoolId=pool.pool_id)["Groups"]]
    seen, token = [], None
    while True:
        answer = admin.list_groups(UserPoolId=pool.pool_id, Limit=1, **({"NextToken": token} if token else {}))
        assert len(answer["Groups"]) == 1
        seen.append(answer["Groups"][0]["GroupName"])
        token = answer.get("NextToken")
        if not token:
            break
    assert seen == everything and len(seen) >= 3


# --- the local admin from the configuration -------------------------------------------------------


def local_cognito_config(data_dir, **env):
    return load_config({"LOCAL_COGNITO_DATA": str(data_dir), "LOCAL_COGNITO_PORT": "0", **env})


def test_the_local_admin_is_made_once_and_can_sign_in(tmp_path):
    env = {"LOCAL_ADMIN_EMAIL": "boss@example.com", "LOCAL_ADMIN_PASSWORD": "boss password"}
    for _ in range(2):
        local, config = start_local_cognito(local_cognito_config(tmp_path, **env))
        local.stop()
    pool = LocalUserPool(str(tmp_path))
    admins = [u for u in pool.pool.users.values() if u.attribute_lookup["email"] == "boss@example.com"]
    assert len(admins) == 1 and list(pool.pool.groups) == ["admin"]
    result = pool.sign_in.initiate_auth(
        {
            "ClientId": pool.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {
                "USERNAME": "boss@example.com",
                "PASSWORD": "boss password",
                "SECRET_HASH": hashed(pool, "boss@example.com"),
            },
        }
    )
    claims = jwt.decode(result["AuthenticationResult"]["IdToken"], options={"verify_signature": False})
    assert claims["cognito:groups"] == ["admin"] and claims["email_verified"] is True


def hashed(pool, name):
    return secret_hash(name, pool.client_id, pool.client_secret)


def test_the_environment_sets_the_local_admins_password_status_and_group(tmp_path, caplog):
    pool = LocalUserPool(str(tmp_path), pinned_code=CODE)
    pool.accounts.sign_up(
        {
            "ClientId": pool.client_id,
            "SecretHash": hashed(pool, "boss@example.com"),
            "Username": "boss@example.com",
            "Password": "an old password",
        }
    )
    sub = pool.find_user("boss@example.com").id
    pool.admin.admin_disable_user({"UserPoolId": pool.pool_id, "Username": sub})

    env = {
        "LOCAL_ADMIN_EMAIL": "Boss@Example.com",
        "LOCAL_ADMIN_PASSWORD": "the new password",
        "ADMIN_GROUP": "operators",
    }
    with caplog.at_level(logging.INFO, logger="local_cognito"):
        local, _ = start_local_cognito(local_cognito_config(tmp_path, **env))
        local.stop()
    assert "set from LOCAL_ADMIN_PASSWORD" in caplog.text and "the new password" not in caplog.text
    pool = LocalUserPool(str(tmp_path))
    seen = pool.admin.admin_get_user({"UserPoolId": pool.pool_id, "Username": sub})
    assert (seen["UserStatus"], seen["Enabled"]) == ("CONFIRMED", True)
    assert {"Name": "email_verified", "Value": "true"} in seen["UserAttributes"]
    assert [g.group_name for g in pool.pool.users[sub].groups] == ["operators"]
    auth = {"USERNAME": "boss@example.com", "SECRET_HASH": hashed(pool, "boss@example.com")}
    assert pool.sign_in.initiate_auth(
        {
            "ClientId": pool.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": dict(auth, PASSWORD="the new password"),
        }
    )
    with pytest.raises(CognitoFault) as caught:
        pool.sign_in.initiate_auth(
            {
                "ClientId": pool.client_id,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": dict(auth, PASSWORD="an old password"),
            }
        )
    assert caught.value.name == "NotAuthorizedException"


@pytest.mark.parametrize(
    "env,names",
    [
        ({"LOCAL_ADMIN_EMAIL": "boss@example.com", "LOCAL_ADMIN_PASSWORD": "short"}, "LOCAL_ADMIN_PASSWORD"),
        ({"LOCAL_ADMIN_EMAIL": "boss@example.com", "LOCAL_ADMIN_PASSWORD": " spaced password"}, "LOCAL_ADMIN_PASSWORD"),
        ({"LOCAL_ADMIN_EMAIL": "not-an-email", "LOCAL_ADMIN_PASSWORD": "boss password"}, "LOCAL_ADMIN_EMAIL"),
    ],
)
def test_an_unusable_local_admin_stops_start_up(tmp_path, env, names):
    with pytest.raises(ConfigError, match=names):
        start_local_cognito(local_cognito_config(tmp_path, **env))
    assert LocalUserPool(str(tmp_path)).pool.users == {}
