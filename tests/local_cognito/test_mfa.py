"""The local Cognito's TOTP set-up (local_cognito/mfa.py) as Cognito documents it: a new secret per
association, verified against the latest one, MFA turned on only with a verified secret, shown by
GetUser and AdminGetUser, and turned off without losing the secret.

Each test drives the module's local Cognito over HTTP with boto3, on a pool whose clock it moves.
"""

from __future__ import annotations

import base64

from tests.support.local_pool import code_at, error_code, error_message, password_auth, respond_mfa, signed_in, with_mfa


def test_every_association_makes_a_new_secret_per_user(idp):
    first, second = signed_in(idp), signed_in(idp)
    a1 = idp.associate_software_token(AccessToken=first["AccessToken"])["SecretCode"]
    a2 = idp.associate_software_token(AccessToken=first["AccessToken"])["SecretCode"]
    b = idp.associate_software_token(AccessToken=second["AccessToken"])["SecretCode"]
    assert len({a1, a2, b}) == 3
    assert all(len(s) == 32 and len(base64.b32decode(s)) == 20 for s in (a1, a2, b))


def test_verify_checks_the_code_against_the_latest_pending_secret(idp, clock):
    user = signed_in(idp)
    token = user["AccessToken"]
    assert (
        error_code(idp.verify_software_token, AccessToken=token, UserCode="123456")
        == "SoftwareTokenMFANotFoundException"
    )
    old = idp.associate_software_token(AccessToken=token)["SecretCode"]
    pending = idp.associate_software_token(AccessToken=token)["SecretCode"]
    assert error_message(idp.verify_software_token, AccessToken=token, UserCode=code_at(old, clock())) == (
        "EnableSoftwareTokenMFAException",
        "Code mismatch",
    )
    assert (
        idp.verify_software_token(AccessToken=token, UserCode=code_at(pending, clock()), FriendlyDeviceName="phone")[
            "Status"
        ]
        == "SUCCESS"
    )


def test_the_session_form_of_associate_is_refused(idp):
    assert error_code(idp.associate_software_token, Session="s" * 40) == "InvalidParameterException"


def test_mfa_can_only_be_enabled_with_a_verified_secret(idp):
    user = signed_in(idp)
    idp.associate_software_token(AccessToken=user["AccessToken"])  # pending, not verified
    assert error_message(
        idp.set_user_mfa_preference,
        AccessToken=user["AccessToken"],
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    ) == ("InvalidParameterException", "User has not verified software token mfa")
    assert idp.get_user(AccessToken=user["AccessToken"])["UserMFASettingList"] == []


def test_get_user_and_admin_get_user_show_the_mfa_settings(idp, admin, pool, clock):
    user, _ = with_mfa(idp, clock)
    mine = idp.get_user(AccessToken=user["AccessToken"])
    theirs = admin.admin_get_user(UserPoolId=pool.pool_id, Username=user["email"])
    for seen in (mine, theirs):
        assert seen["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
        assert seen["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"


def test_turning_mfa_off_keeps_the_secret_for_later(idp, clock):
    user, secret = with_mfa(idp, clock)
    idp.set_user_mfa_preference(
        AccessToken=user["AccessToken"], SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False}
    )
    assert idp.get_user(AccessToken=user["AccessToken"])["UserMFASettingList"] == []
    assert password_auth(idp, user["email"])["AuthenticationResult"]["AccessToken"]

    idp.set_user_mfa_preference(AccessToken=user["AccessToken"], SoftwareTokenMfaSettings={"Enabled": True})
    challenge = password_auth(idp, user["email"])
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert respond_mfa(idp, user, challenge["Session"], code_at(secret, clock()))["AuthenticationResult"]
