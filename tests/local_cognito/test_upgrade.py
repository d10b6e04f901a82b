"""Upgrading a data folder from before the database (local_cognito/migration.py): the ``state.json``
in ``state_v1/`` was written by the local Cognito of that time (``state_v1/make.py``, run with that
code). At the first start it moves into ``pool.sqlite3`` and is kept as ``state.json.migrated-<time>``,
byte for byte; the pool then holds exactly what the file held, and every user, password, TOTP secret
and MFA setting, temporary password and its expiry, group and membership, pending code, live refresh
token (with its rotation family and grace period), the pool and client ids and secret, the signing
key and the hosted UI's secrets work as they did. The pool's clock is set to when the file was
written, so its tokens and codes are as live as they were then."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from local_cognito.endpoint import LocalCognito
from local_cognito.service import LocalUserPool
from local_cognito.state import state_of
from server.cognito import secret_hash
from tests.support.local_pool import Clock, clients, code_at, error_code, error_message, groups_claim, password_auth

FIXTURE = Path(__file__).parent / "state_v1"
FILES = ("state.json", "signing-key.pem", "hosted-ui-secret", "cookie-secret")
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())
OLD_STATE = json.loads((FIXTURE / "state.json").read_text())


def old_folder(path: Path) -> str:
    path.mkdir()
    for name in FILES:
        shutil.copyfile(FIXTURE / name, path / name)
    return str(path)


def comparable(state: dict) -> dict:
    """A state without what its order or its ``version`` changes."""
    state = {key: value for key, value in state.items() if key != "version"}
    state["users"] = sorted(state["users"], key=lambda user: user["sub"])
    state["groups"] = sorted(state["groups"], key=lambda group: group["name"])
    return state


@pytest.fixture
def upgraded(tmp_path):
    """The old folder, upgraded by a local Cognito started on it, served, on a clock 30 s after the
    file was written."""
    clock = Clock()
    clock.now = EXPECTED["clock"] + 30
    folder = old_folder(tmp_path / "data")
    local = LocalCognito(LocalUserPool(folder, clock=clock)).start()
    idp, admin = clients(local, local.pool)
    yield local.pool, idp, admin, clock
    local.stop()


def test_the_state_file_moves_into_the_database_and_is_kept(upgraded):
    pool = upgraded[0]
    folder = Path(pool.store.folder)
    [backup] = [name for name in os.listdir(folder) if name.startswith("state.json")]
    assert backup.startswith("state.json.migrated-")
    assert (folder / backup).read_bytes() == (FIXTURE / "state.json").read_bytes()
    assert comparable(state_of(pool)) == comparable(OLD_STATE)
    for name in ("signing-key.pem", "hosted-ui-secret", "cookie-secret"):
        assert (folder / name).read_bytes() == (FIXTURE / name).read_bytes()
    # Started again, it reads the database, and moves nothing.
    again = LocalUserPool(str(folder), clock=pool.clock)
    assert comparable(state_of(again)) == comparable(OLD_STATE)
    assert [name for name in os.listdir(folder) if name.startswith("state.json")] == [backup]


def test_users_sign_in_with_their_passwords_groups_and_attributes(upgraded):
    pool, idp, admin, _ = upgraded
    assert (pool.pool_id, pool.client_id, pool.client_secret) == (
        OLD_STATE["pool"]["id"],
        OLD_STATE["client"]["id"],
        OLD_STATE["client"]["secret"],
    )
    tokens = password_auth(idp, "confirmed@example.com", EXPECTED["password"])["AuthenticationResult"]
    assert groups_claim(tokens["AccessToken"]) == ["admin", "staff"]
    attributes = {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]}
    assert attributes["nickname"] == "Conf" and attributes["email_verified"] == "true"
    assert (
        error_code(password_auth, idp=idp, email="confirmed@example.com", password="Not_the_password_1")
        == "NotAuthorizedException"
    )
    group = admin.get_group(UserPoolId=pool.pool_id, GroupName="staff")["Group"]
    assert (group["Precedence"], group["Description"]) == (1, "The staff")
    assert admin.get_group(UserPoolId=pool.pool_id, GroupName="admin")["Group"]["RoleArn"].endswith(":role/admin")
    listed = admin.list_users(UserPoolId=pool.pool_id)["Users"]
    assert sorted(u["Username"] for u in listed) == sorted(u["sub"] for u in OLD_STATE["users"])
    assert error_message(lambda: password_auth(idp, "disabled@example.com", EXPECTED["password"])) == (
        "NotAuthorizedException",
        "User is disabled.",
    )


def test_totp_secrets_and_settings_come_through(upgraded):
    pool, idp, admin, clock = upgraded
    challenge = password_auth(idp, "totp@example.com", EXPECTED["password"])
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    sub = challenge["ChallengeParameters"]["USER_ID_FOR_SRP"]
    tokens = idp.respond_to_auth_challenge(
        ClientId=idp.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": sub,
            "SECRET_HASH": idp.hash(sub),
            "SOFTWARE_TOKEN_MFA_CODE": code_at(EXPECTED["totp_secret"], clock()),
        },
    )["AuthenticationResult"]
    assert groups_claim(tokens["AccessToken"]) == ["staff"]
    seen = admin.admin_get_user(UserPoolId=pool.pool_id, Username="totp@example.com")
    assert seen["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"] and seen["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    # The pending secret still verifies.
    assert (
        idp.verify_software_token(
            AccessToken=tokens["AccessToken"], UserCode=code_at(EXPECTED["totp_pending"], clock())
        )["Status"]
        == "SUCCESS"
    )


def test_pending_codes_and_temporary_passwords_come_through(upgraded):
    pool, idp, _, clock = upgraded
    assert (
        error_code(password_auth, idp=idp, email="waiting@example.com", password=EXPECTED["password"])
        == "UserNotConfirmedException"
    )
    idp.confirm_sign_up(
        ClientId=idp.client_id,
        SecretHash=idp.hash("waiting@example.com"),
        Username="waiting@example.com",
        ConfirmationCode=EXPECTED["waiting_code"],
    )
    assert password_auth(idp, "waiting@example.com", EXPECTED["password"])["AuthenticationResult"]
    idp.confirm_forgot_password(
        ClientId=idp.client_id,
        SecretHash=idp.hash("resetting@example.com"),
        Username="resetting@example.com",
        ConfirmationCode=EXPECTED["reset_code"],
        Password="Reset_password_1",
    )
    assert password_auth(idp, "resetting@example.com", "Reset_password_1")["AuthenticationResult"]
    assert (
        password_auth(idp, "invited@example.com", EXPECTED["temporary_password"])["ChallengeName"]
        == "NEW_PASSWORD_REQUIRED"
    )
    [invited] = [u for u in OLD_STATE["users"] if u["attributes"]["email"] == "invited@example.com"]
    clock.now = invited["temporary_password_expires"]  # the expiry came through too
    assert error_message(lambda: password_auth(idp, "invited@example.com", EXPECTED["temporary_password"])) == (
        "NotAuthorizedException",
        "Temporary password has expired and must be reset by an administrator.",
    )


def refreshed(idp, pool, token: str, username: str) -> dict:
    return idp.initiate_auth(
        ClientId=idp.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={
            "REFRESH_TOKEN": token,
            "SECRET_HASH": secret_hash(username, pool.client_id, pool.client_secret),
        },
    )


def test_live_refresh_tokens_and_their_families_come_through(upgraded):
    pool, idp, _, clock = upgraded
    tokens = EXPECTED["refresh_tokens"]
    sub = idp.get_user(AccessToken=EXPECTED["access_token"])["Username"]  # signed with the kept key
    for name in ("first", "rotated_in", "rotated_out"):  # rotated_out: still in its grace period
        assert refreshed(idp, pool, tokens[name], sub)["AuthenticationResult"]["AccessToken"], name
    for name in ("disabled_user", "expired"):
        assert (
            error_code(refreshed, idp=idp, pool=pool, token=tokens[name], username=sub) == "NotAuthorizedException"
        ), name
    clock.advance(31)  # past the grace period the rotation gave it
    assert (
        error_code(
            idp.get_tokens_from_refresh_token,
            ClientId=idp.client_id,
            ClientSecret=pool.client_secret,
            RefreshToken=tokens["rotated_out"],
        )
        == "RefreshTokenReuseException"
    )
    assert refreshed(idp, pool, tokens["rotated_in"], sub)["AuthenticationResult"]
    # Revoking one token of the family revokes the other; another sign-in's family stays, until it
    # is revoked too, with the access tokens issued from it.
    idp.revoke_token(ClientId=idp.client_id, ClientSecret=pool.client_secret, Token=tokens["rotated_in"])
    assert (
        error_code(
            idp.get_tokens_from_refresh_token,
            ClientId=idp.client_id,
            ClientSecret=pool.client_secret,
            RefreshToken=tokens["rotated_out"],
        )
        == "NotAuthorizedException"
    )
    assert idp.get_user(AccessToken=EXPECTED["access_token"])["Username"] == sub
    idp.revoke_token(ClientId=idp.client_id, ClientSecret=pool.client_secret, Token=tokens["first"])
    assert error_code(idp.get_user, AccessToken=EXPECTED["access_token"]) == "NotAuthorizedException"


def test_a_state_file_from_before_mfa_and_groups_moves_too(tmp_path):
    folder = old_folder(tmp_path / "data")
    state = json.loads(Path(folder, "state.json").read_text())
    state.pop("groups")
    for saved in state["users"]:
        saved.pop("software_token", None)
        saved.pop("temporary_password_expires", None)
    Path(folder, "state.json").write_text(json.dumps(state))
    clock = Clock()
    clock.now = EXPECTED["clock"] + 30
    pool = LocalUserPool(folder, clock=clock)
    assert pool.pool_id == OLD_STATE["pool"]["id"] and pool.pool.groups == {}
    assert len(state_of(pool)["users"]) == len(OLD_STATE["users"])
    assert pool.accounts.get_user({"AccessToken": EXPECTED["access_token"]})["MFAOptions"] == []
