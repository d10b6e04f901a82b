"""The admin methods over real HTTP against the local Cognito: who may call them, each method once,
and the audit log."""

from __future__ import annotations

import logging
import time
import uuid

import jwt
import pytest

from local_cognito.tokens import TokenSigner
from server.registry import METHODS
from tests.support import ADMIN_EMAIL, CODE, PASSWORD, Client

PASS = {"pass": PASSWORD}

# Every admin method with the fields it needs besides the token.
ADMIN_METHODS = {
    "adminCreateUser": {"user": "new@example.com"},
    "adminGetUser": {"user": "x@example.com"},
    "adminListUsers": {},
    "adminDisableUser": {"user": "x@example.com"},
    "adminEnableUser": {"user": "x@example.com"},
    "adminDeleteUser": {"user": "x@example.com"},
    "adminDeleteAcct": {"user": "x@example.com"},
    "adminResetPassword": {"user": "x@example.com"},
    "adminConfirmSignUp": {"user": "x@example.com"},
    "adminAddUserToGroup": {"user": "x@example.com", "group": "admin"},
    "adminRemoveUserFromGroup": {"user": "x@example.com", "group": "admin"},
    "adminSignOut": {"user": "x@example.com"},
}


def test_every_admin_method_is_in_the_guard_table():
    assert {name for name in METHODS if name.startswith("admin")} == set(ADMIN_METHODS)


@pytest.mark.parametrize("method", sorted(ADMIN_METHODS))
def test_no_token_is_401(client, method):
    reply = client.call(method, **ADMIN_METHODS[method])
    assert (reply.status, reply.json["error"]) == (401, "MissingToken")


@pytest.mark.parametrize("method", sorted(ADMIN_METHODS))
def test_a_user_outside_the_admin_group_is_403(signed_in, method):
    client, _, answer = signed_in
    reply = client.call(method, access_token=answer["access_token"], **ADMIN_METHODS[method])
    assert (reply.status, reply.json["error"]) == (403, "Forbidden")


def admin_claims(config, admin_token: str, **changes) -> dict:
    claims = jwt.decode(admin_token, options={"verify_signature": False})
    claims.update(changes)
    return claims


def test_forged_expired_and_foreign_tokens_are_401(admin, local_pool, config, tmp_path):
    client, token = admin
    pool = local_pool[0].pool
    other_pool = TokenSigner(str(tmp_path / "other-pool.pem"))
    now = int(time.time())
    refused = {
        "forged": jwt.encode(
            admin_claims(config, token), other_pool._key, algorithm="RS256", headers={"kid": pool.signer.kid}
        ),
        "expired": pool.signer.sign(admin_claims(config, token, iat=now - 7200, exp=now - 3600)),
        "another pool": other_pool.sign(
            admin_claims(config, token, iss=config.issuer.rsplit("/", 1)[0] + "/us-east-1_OTHERPOOL")
        ),
        "another pool, our key id": jwt.encode(
            admin_claims(config, token, iss=config.issuer.rsplit("/", 1)[0] + "/us-east-1_OTHERPOOL"),
            other_pool._key,
            algorithm="RS256",
            headers={"kid": pool.signer.kid},
        ),
        "another client": pool.signer.sign(admin_claims(config, token, client_id="another-app-client")),
        "another issuer": pool.signer.sign(admin_claims(config, token, iss="https://evil.example/pool")),
        "an id token": client.call("signIn", user=ADMIN_EMAIL, **{"pass": "Admin_password_1"}).json["id_token"],
        "garbage": "abc.def.ghi",
    }
    for name, bad in refused.items():
        reply = client.call("adminListUsers", access_token=bad)
        assert reply.status == 401, name
        assert reply.json["error"] == ("TokenExpired" if name == "expired" else "InvalidToken"), name
    assert (
        client.call("adminListUsers", access_token=pool.signer.sign(admin_claims(config, token, exp=now - 61))).json[
            "error"
        ]
        == "TokenExpired"
    )  # past the 60 s skew
    assert client.call("adminListUsers", access_token=token).status == 200  # the real one works


def test_a_signed_out_admin_token_stops_working_at_once(admin):
    client, token = admin
    assert client.call("signOut", access_token=token, **{"global": True}).status == 200
    reply = client.call("adminListUsers", access_token=token)
    assert (reply.status, reply.json["error"]) == (401, "InvalidToken")


def new_user(base_url) -> tuple[Client, str]:
    client, email = Client(base_url), f"managed-{uuid.uuid4().hex[:10]}@example.com"
    assert client.call("createAccount", user=email, nickname="Managed", **PASS).status == 200
    return client, email


def test_create_get_list_and_the_new_password_step(admin, base_url):
    client, token = admin
    email = f"created-{uuid.uuid4().hex[:10]}@example.com"
    reply = client.call(
        "adminCreateUser",
        access_token=token,
        user=email,
        temp_pass="Temporary_1",
        nickname="Newbie",
        suppress_email=True,
    )
    assert reply.status == 200, reply.body
    assert reply.json["user"]["status"] == "FORCE_CHANGE_PASSWORD" and reply.json["user"]["email"] == email
    again = client.call("adminCreateUser", access_token=token, user=email)
    assert (again.status, again.json["error"]) == (409, "UsernameExists")

    got = client.call("adminGetUser", access_token=token, user=email).json["user"]
    assert (got["email"], got["enabled"], got["groups"]) == (email, True, [])
    assert got["attributes"]["nickname"] == "Newbie"

    listed = client.call("adminListUsers", access_token=token, filter=f'email = "{email}"').json
    assert [u["email"] for u in listed["users"]] == [email] and listed["next_page"] is None

    # The new user's first sign-in asks for a new password, then signs in.
    person = Client(base_url)
    step = person.call("signIn", user=email, **{"pass": "Temporary_1"}).json
    assert (step["message"], step["challenge"]) == ("NEW_PASSWORD_REQUIRED", "NEW_PASSWORD_REQUIRED")
    weak = person.call("respondToChallenge", user=email, session=step["session"], new_pass="short")
    assert (weak.status, weak.json["error"]) == (400, "InvalidPassword")
    done = person.call("respondToChallenge", user=email, session=step["session"], new_pass="Chosen_password_2")
    assert done.status == 200 and "access_token" in done.json, done.body
    assert person.call("signIn", user=email, **{"pass": "Chosen_password_2"}).status == 200


def test_list_users_pages_and_filters(admin, base_url):
    client, token = admin
    prefix = f"page-{uuid.uuid4().hex[:8]}"
    for n in range(5):
        assert client.call("createAccount", user=f"{prefix}-{n}@example.com", **PASS).status == 200
    seen, page = [], None
    while True:
        fields = {"page": page} if page else {}
        reply = client.call("adminListUsers", access_token=token, filter=f'email ^= "{prefix}"', limit=2, **fields)
        assert reply.status == 200, reply.body
        assert len(reply.json["users"]) <= 2
        seen += [u["email"] for u in reply.json["users"]]
        page = reply.json["next_page"]
        if not page:
            break
    assert sorted(seen) == [f"{prefix}-{n}@example.com" for n in range(5)]
    bad = client.call("adminListUsers", access_token=token, filter="email ~ nonsense")
    assert (bad.status, bad.json["error"]) == (400, "InvalidParameter")
    assert client.call("adminListUsers", access_token=token, limit=61).json["error"] == "InvalidField"


def test_disable_enable_confirm_reset_sign_out_and_delete(admin, base_url):
    client, token = admin
    person, email = new_user(base_url)
    assert person.call("signIn", user=email, **PASS).json["error"] == "UserNotConfirmed"

    assert client.call("adminConfirmSignUp", access_token=token, user=email).status == 200
    signed = person.call("signIn", user=email, **PASS)
    assert signed.status == 200

    assert client.call("adminSignOut", access_token=token, user=email).status == 200
    assert person.call("refresh").json["error"] == "SessionExpired"  # every session ended

    assert client.call("adminDisableUser", access_token=token, user=email).status == 200
    assert person.call("signIn", user=email, **PASS).status == 401
    assert client.call("adminGetUser", access_token=token, user=email).json["user"]["enabled"] is False
    assert client.call("adminEnableUser", access_token=token, user=email).status == 200
    assert person.call("signIn", user=email, **PASS).status == 200

    # A confirmed sign-up has not verified the email: no reset code can be sent to it.
    unverified = client.call("adminResetPassword", access_token=token, user=email)
    assert (unverified.status, unverified.json["error"]) == (400, "InvalidParameter")
    # Confirming twice is a conflict with the user's status, not a bad admin token.
    twice = client.call("adminConfirmSignUp", access_token=token, user=email)
    assert (twice.status, twice.json["error"]) == (409, "UserStateConflict")

    assert client.call("adminDeleteUser", access_token=token, user=email).status == 200
    gone = client.call("adminGetUser", access_token=token, user=email)
    assert (gone.status, gone.json["error"]) == (404, "UserNotFound")
    other, other_email = new_user(base_url)
    assert client.call("adminDeleteAcct", access_token=token, user=other_email).status == 200  # the tutorial's name
    assert client.call("adminDeleteAcct", access_token=token, user=other_email).json["error"] == "UserNotFound"


def test_reset_password_of_an_unconfirmed_user_is_a_conflict(admin, base_url):
    client, token = admin
    _, email = new_user(base_url)
    reply = client.call("adminResetPassword", access_token=token, user=email)
    assert (reply.status, reply.json["error"]) == (409, "UserStateConflict")


def test_reset_password_sends_a_code_and_stops_the_old_password(admin, signed_in):
    client, token = admin
    person, email, _ = signed_in
    assert client.call("adminResetPassword", access_token=token, user=email).status == 200
    assert person.call("signIn", user=email, **PASS).json["error"] == "PasswordResetRequired"
    assert person.call("confirmForgotPassword", user=email, conf_code=CODE, new_pass="Reset_password_3").status == 200
    assert person.call("signIn", user=email, **{"pass": "Reset_password_3"}).status == 200


def test_groups_make_admins(admin, base_url, signed_in):
    client, token = admin
    person, email, answer = signed_in
    assert person.call("adminListUsers", access_token=answer["access_token"]).status == 403
    assert client.call("adminAddUserToGroup", access_token=token, user=email, group="admin").status == 200
    assert client.call("adminGetUser", access_token=token, user=email).json["user"]["groups"] == ["admin"]
    fresh = person.call("refresh").json["access_token"]  # new tokens carry the new group
    assert jwt.decode(fresh, options={"verify_signature": False})["cognito:groups"] == ["admin"]
    assert person.call("adminListUsers", access_token=fresh).status == 200
    assert client.call("adminRemoveUserFromGroup", access_token=token, user=email, group="admin").status == 200
    fresh = person.call("refresh").json["access_token"]
    assert person.call("adminListUsers", access_token=fresh).status == 403
    missing = client.call("adminAddUserToGroup", access_token=token, user=email, group="no-such-group")
    assert (missing.status, missing.json["error"]) == (404, "GroupNotFound")


def test_each_admin_action_leaves_one_audit_line_without_secrets(admin, signed_in, caplog):
    client, token = admin
    person, email, answer = signed_in
    caplog.set_level(logging.INFO, logger="server.audit")
    client.call(
        "adminCreateUser",
        access_token=token,
        user=f"audit-{uuid.uuid4().hex[:8]}@example.com",
        temp_pass="Temporary_9",
        suppress_email=True,
    )
    client.call("adminDisableUser", access_token=token, user="nobody@example.com")
    person.call("adminDisableUser", access_token=answer["access_token"], user=email)
    Client(client.base_url).call("adminDisableUser", user=email)
    Client(client.base_url).call("adminListUsers", filter="x" * 20000)
    lines = [r.getMessage() for r in caplog.records if r.name == "server.audit"]
    assert len(lines) == 5, lines
    assert "outcome=MissingToken" in lines[4] and len(lines[4]) < 500  # anyone's input, kept short
    assert "action=adminCreateUser" in lines[0] and f"by={ADMIN_EMAIL}" in lines[0] and "outcome=ok" in lines[0]
    assert "target='nobody@example.com'" in lines[1] and "outcome=UserNotFound" in lines[1]
    assert "outcome=Forbidden" in lines[2] and "by=-" not in lines[2]
    assert "by=- " in lines[3] and "outcome=MissingToken" in lines[3]
    for line in lines:
        assert "request_id=" in line
        assert "Temporary_9" not in line and token not in line and answer["access_token"] not in line
