"""What the local Cognito keeps in its data folder (local_cognito/store.py, database.py) across a
restart: users, password hashes, sessions, TOTP secrets, groups and statuses; files only their owner
reads, with no password or refresh token in them; an unreadable state file or database kept aside.
(Moving a state file into the database: test_upgrade.py.)"""

from __future__ import annotations

import os
import stat

import jwt
import pyotp

from local_cognito.endpoint import LocalCognito
from local_cognito.service import LocalUserPool
from local_cognito.totp import STEP_SECONDS
from server.cognito import secret_hash
from tests.support import CODE, PASSWORD
from tests.support.data_folder import database_bytes, database_files
from tests.support.local_pool import Clock, clients, code_at, created, error_code, groups_claim, password_auth, with_mfa


def test_users_passwords_and_sessions_survive_a_restart(tmp_path):
    pool = LocalUserPool(str(tmp_path), pinned_code="424242")
    hashed = lambda name: secret_hash(name, pool.client_id, pool.client_secret)  # noqa: E731
    email = "persist@example.com"
    base = {"ClientId": pool.client_id, "SecretHash": hashed(email), "Username": email}
    pool.accounts.sign_up(dict(base, Password=PASSWORD, UserAttributes=[{"Name": "nickname", "Value": "P"}]))
    pool.accounts.confirm_sign_up(dict(base, ConfirmationCode="424242"))
    result = pool.sign_in.initiate_auth(
        {
            "ClientId": pool.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": hashed(email)},
        }
    )["AuthenticationResult"]

    again = LocalUserPool(str(tmp_path))
    assert (again.pool_id, again.client_id, again.client_secret) == (pool.pool_id, pool.client_id, pool.client_secret)
    sub = jwt.decode(result["AccessToken"], options={"verify_signature": False})["sub"]
    assert again.accounts.get_user({"AccessToken": result["AccessToken"]})["Username"] == sub
    refreshed = again.sign_in.initiate_auth(
        {
            "ClientId": again.client_id,
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "AuthParameters": {"REFRESH_TOKEN": result["RefreshToken"], "SECRET_HASH": hashed(sub)},
        }
    )
    assert refreshed["AuthenticationResult"]["AccessToken"]
    assert again.sign_in.initiate_auth(
        {
            "ClientId": again.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": hashed(email)},
        }
    )["AuthenticationResult"]

    stored = database_bytes(str(tmp_path))
    assert email.encode() in stored  # what is read is what is kept
    assert PASSWORD.encode() not in stored and result["RefreshToken"].encode() not in stored
    files = database_files(str(tmp_path))
    assert len(files) == 3  # the database, its WAL and shared memory, while it is open
    for path in [*files, tmp_path / "signing-key.pem"]:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_an_unreadable_state_file_is_kept_aside(tmp_path):
    (tmp_path / "state.json").write_text("{ half written")
    pool = LocalUserPool(str(tmp_path))
    assert pool.pool_id
    [kept] = [name for name in os.listdir(tmp_path) if name.startswith("state.json")]
    assert kept.startswith("state.json.unreadable-") and (tmp_path / kept).read_text() == "{ half written"


def test_an_unreadable_database_is_kept_aside(tmp_path):
    first = LocalUserPool(str(tmp_path))
    first.db.close()  # as when its process stops
    (tmp_path / "pool.sqlite3").write_bytes(b"not a database " * 100)
    pool = LocalUserPool(str(tmp_path))
    assert pool.pool_id != first.pool_id  # a new pool
    [kept] = [name for name in os.listdir(tmp_path) if name.startswith("pool.sqlite3.unreadable-")]
    assert (tmp_path / kept).read_bytes() == b"not a database " * 100


def respond_mfa_ok(idp, user, session, code) -> dict:
    return idp.respond_to_auth_challenge(
        ClientId=idp.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=session,
        ChallengeResponses={
            "USERNAME": user["sub"],
            "SECRET_HASH": idp.hash(user["sub"]),
            "SOFTWARE_TOKEN_MFA_CODE": code,
        },
    )["AuthenticationResult"]


def test_totp_groups_and_statuses_survive_a_restart(tmp_path):
    clock = Clock()
    local = LocalCognito(LocalUserPool(str(tmp_path), pinned_code=CODE, clock=clock)).start()
    try:
        idp, admin = clients(local, local.pool)
        pool_id = local.pool.pool_id
        user, secret = with_mfa(idp, clock)
        pending = idp.associate_software_token(AccessToken=user["AccessToken"])["SecretCode"]
        challenge = password_auth(idp, user["email"])
        used = code_at(secret, clock())
        assert respond_mfa_ok(idp, user, challenge["Session"], used)
        admin.create_group(UserPoolId=pool_id, GroupName="staff", Precedence=1)
        admin.admin_add_user_to_group(UserPoolId=pool_id, Username=user["email"], GroupName="staff")
        invited = created(admin, local.pool, TemporaryPassword="temporary-pass-1")
    finally:
        local.stop()

    again = LocalUserPool(str(tmp_path), pinned_code=CODE, clock=clock)
    assert again.software_tokens[user["sub"]].secret == secret
    assert again.software_tokens[user["sub"]].pending == pending
    local = LocalCognito(again).start()
    try:
        idp, admin = clients(local, again)
        seen = admin.admin_get_user(UserPoolId=pool_id, Username=user["email"])
        assert seen["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"] and seen["PreferredMfaSetting"]
        assert [
            g["GroupName"]
            for g in admin.admin_list_groups_for_user(UserPoolId=pool_id, Username=user["email"])["Groups"]
        ] == ["staff"]
        assert admin.get_group(UserPoolId=pool_id, GroupName="staff")["Group"]["Precedence"] == 1
        assert (
            admin.admin_get_user(UserPoolId=pool_id, Username=invited["Username"])["UserStatus"]
            == "FORCE_CHANGE_PASSWORD"
        )
        # The last used step is remembered: the same code is still refused, the next one works.
        session = password_auth(idp, user["email"])["Session"]
        assert error_code(respond_mfa_ok, idp=idp, user=user, session=session, code=used) == "CodeMismatchException"
        clock.advance(STEP_SECONDS)
        tokens = respond_mfa_ok(idp, user, session, code_at(secret, clock()))
        assert groups_claim(tokens["AccessToken"]) == ["staff"]
        # The pending secret still verifies.
        assert (
            idp.verify_software_token(AccessToken=tokens["AccessToken"], UserCode=pyotp.TOTP(pending).at(clock()))[
                "Status"
            ]
            == "SUCCESS"
        )
    finally:
        local.stop()
