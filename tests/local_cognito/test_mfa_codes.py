"""The local Cognito's SMS and email MFA (local_cognito/mfa_codes.py), as Cognito documents it:
SetUserMFAPreference turns them on only for a verified phone number or email and only where the
pool offers them; a sign-in then answers SMS_MFA or EMAIL_OTP with where the code went, or
SELECT_MFA_TYPE when several methods are on and none is preferred; the code is checked and the
session spent.

Each test drives the module's local Cognito over HTTP with boto3; codes are read from the console log.
"""

from __future__ import annotations

import json
import logging
import re

import botocore.session
import pytest

from local_cognito.endpoint import LocalCognito
from local_cognito.service import LocalUserPool
from local_cognito.totp import STEP_SECONDS
from tests.support import CODE
from tests.support.local_pool import clients, code_at, error_code, password_auth, respond_mfa, signed_in

MODEL = botocore.session.get_session().get_service_model("cognito-idp")
PHONE = "+15550100123"


@pytest.fixture
def features(pool):
    yield pool.configure_account_features
    pool.configure_account_features()


def with_phone(idp) -> dict:
    """A signed-in user with a verified phone number."""
    user = signed_in(idp)
    idp.update_user_attributes(
        AccessToken=user["AccessToken"], UserAttributes=[{"Name": "phone_number", "Value": PHONE}]
    )
    idp.verify_user_attribute(AccessToken=user["AccessToken"], AttributeName="phone_number", Code=CODE)
    return user


def respond(idp, user: dict, name: str, session: str, **responses) -> dict:
    return idp.respond_to_auth_challenge(
        ClientId=idp.client_id,
        ChallengeName=name,
        Session=session,
        ChallengeResponses={"USERNAME": user["sub"], "SECRET_HASH": idp.hash(user["sub"]), **responses},
    )


def test_sms_mfa_needs_a_verified_phone_number_and_then_texts_a_code(idp, caplog):
    user = signed_in(idp)
    token = user["AccessToken"]
    assert (
        error_code(
            idp.set_user_mfa_preference, AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
        == "InvalidParameterException"
    )
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": PHONE}])
    assert (
        error_code(idp.set_user_mfa_preference, AccessToken=token, SMSMfaSettings={"Enabled": True})
        == "InvalidParameterException"
    )  # a number, but not verified yet
    idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=CODE)
    idp.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    got = idp.get_user(AccessToken=token)
    assert (got["UserMFASettingList"], got["PreferredMfaSetting"]) == (["SMS_MFA"], "SMS_MFA")

    with caplog.at_level(logging.WARNING, logger="local_cognito.mail"):
        challenge = password_auth(idp, user["email"])
    assert challenge["ChallengeName"] == "SMS_MFA" and "SMS_MFA" in MODEL.shape_for("ChallengeNameType").enum
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0123"
    assert f"SMS to {PHONE}: your sign-in code is {CODE}" in caplog.text
    assert (
        error_code(lambda: respond(idp, user, "SMS_MFA", challenge["Session"], SMS_MFA_CODE="000000"))
        == "CodeMismatchException"
    )
    result = respond(idp, user, "SMS_MFA", challenge["Session"], SMS_MFA_CODE=CODE)
    assert result["AuthenticationResult"]["TokenType"] == "Bearer"
    assert (
        error_code(lambda: respond(idp, user, "SMS_MFA", challenge["Session"], SMS_MFA_CODE=CODE))
        == "NotAuthorizedException"
    )  # the session is spent


def test_email_mfa_sends_a_random_code_by_email(tmp_path, caplog):
    """A pool of its own, with no pinned code: the code is random, and read from the log."""
    pool = LocalUserPool(str(tmp_path))
    local = LocalCognito(pool).start()
    try:
        idp, _ = clients(local, pool)
        email = "email-mfa@example.com"
        with caplog.at_level(logging.WARNING, logger="local_cognito.mail"):
            idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password="I_love_apples")
            [code] = re.findall(r"confirmation code is (\d{6})", caplog.text)
            idp.confirm_sign_up(
                ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, ConfirmationCode=code
            )
            token = password_auth(idp, email, "I_love_apples")["AuthenticationResult"]["AccessToken"]
            idp.set_user_mfa_preference(AccessToken=token, EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
            caplog.clear()
            challenge = password_auth(idp, email, "I_love_apples")
            [code] = re.findall(r"Email to email-mfa@example.com: your sign-in code is (\d{6})", caplog.text)
        assert challenge["ChallengeName"] == "EMAIL_OTP"
        assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
        assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "e***@e***"
        sub = challenge["ChallengeParameters"]["USER_ID_FOR_SRP"]
        user = {"sub": sub}
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        assert (
            error_code(lambda: respond(idp, user, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=wrong))
            == "CodeMismatchException"
        )
        assert "AuthenticationResult" in respond(idp, user, "EMAIL_OTP", challenge["Session"], EMAIL_OTP_CODE=code)
    finally:
        local.stop()


def test_five_wrong_codes_spend_the_session(idp):
    user = with_phone(idp)
    idp.set_user_mfa_preference(AccessToken=user["AccessToken"], SMSMfaSettings={"Enabled": True})
    session = password_auth(idp, user["email"])["Session"]
    for _ in range(5):
        assert (
            error_code(lambda: respond(idp, user, "SMS_MFA", session, SMS_MFA_CODE="000000")) == "CodeMismatchException"
        )
    assert error_code(lambda: respond(idp, user, "SMS_MFA", session, SMS_MFA_CODE=CODE)) == "NotAuthorizedException"


def test_several_methods_and_no_preference_ask_which_one(idp, clock):
    user = with_phone(idp)
    token = user["AccessToken"]
    secret = idp.associate_software_token(AccessToken=token)["SecretCode"]
    idp.verify_software_token(AccessToken=token, UserCode=code_at(secret, clock()))
    clock.advance(STEP_SECONDS)
    idp.set_user_mfa_preference(
        AccessToken=token,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
        EmailMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    got = idp.get_user(AccessToken=token)
    assert got["UserMFASettingList"] == ["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    assert "PreferredMfaSetting" not in got

    choice = password_auth(idp, user["email"])
    assert choice["ChallengeName"] == "SELECT_MFA_TYPE"
    assert json.loads(choice["ChallengeParameters"]["MFAS_CAN_CHOOSE"]) == [
        "SMS_MFA",
        "SOFTWARE_TOKEN_MFA",
        "EMAIL_OTP",
    ]
    assert (
        error_code(lambda: respond(idp, user, "SELECT_MFA_TYPE", choice["Session"], ANSWER="WEB_AUTHN"))
        == "InvalidParameterException"
    )
    totp = respond(idp, user, "SELECT_MFA_TYPE", choice["Session"], ANSWER="SOFTWARE_TOKEN_MFA")
    assert totp["ChallengeName"] == "SOFTWARE_TOKEN_MFA" and totp["Session"] != choice["Session"]
    assert "AuthenticationResult" in respond_mfa(idp, user, totp["Session"], code_at(secret, clock()))

    # Cognito's reference names the email choice EMAIL_MFA; its challenge is EMAIL_OTP.
    choice = password_auth(idp, user["email"])
    email = respond(idp, user, "SELECT_MFA_TYPE", choice["Session"], ANSWER="EMAIL_MFA")
    assert email["ChallengeName"] == "EMAIL_OTP"
    assert (
        error_code(lambda: respond(idp, user, "SELECT_MFA_TYPE", choice["Session"], ANSWER="SMS_MFA"))
        == "NotAuthorizedException"
    )  # the choice was made: its session is spent
    assert "AuthenticationResult" in respond(idp, user, "EMAIL_OTP", email["Session"], EMAIL_OTP_CODE=CODE)

    # One preferred method: its challenge straight away, and only one can be preferred.
    assert (
        error_code(
            idp.set_user_mfa_preference,
            AccessToken=token,
            SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
            EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
        == "InvalidParameterException"
    )
    idp.set_user_mfa_preference(AccessToken=token, EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert idp.get_user(AccessToken=token)["PreferredMfaSetting"] == "EMAIL_OTP"
    assert password_auth(idp, user["email"])["ChallengeName"] == "EMAIL_OTP"
    idp.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert idp.get_user(AccessToken=token)["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    assert password_auth(idp, user["email"])["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_turning_methods_off_and_removing_the_number(idp):
    user = with_phone(idp)
    token = user["AccessToken"]
    idp.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    idp.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": False})
    got = idp.get_user(AccessToken=token)
    assert got["UserMFASettingList"] == [] and "PreferredMfaSetting" not in got
    assert "AuthenticationResult" in password_auth(idp, user["email"])
    idp.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": ""}])
    got = idp.get_user(AccessToken=token)
    assert got["UserMFASettingList"] == [] and "phone_number" not in {a["Name"] for a in got["UserAttributes"]}


def test_a_pool_that_does_not_offer_a_method_refuses_it(idp, features):
    user = with_phone(idp)
    features(mfa_methods=("SOFTWARE_TOKEN_MFA",))
    for settings in ({"SMSMfaSettings": {"Enabled": True}}, {"EmailMfaSettings": {"Enabled": True}}):
        assert (
            error_code(idp.set_user_mfa_preference, AccessToken=user["AccessToken"], **settings)
            == "InvalidParameterException"
        )
    assert idp.get_user(AccessToken=user["AccessToken"])["UserMFASettingList"] == []
    features(mfa_methods=())
    assert (
        error_code(
            idp.set_user_mfa_preference, AccessToken=user["AccessToken"], SoftwareTokenMfaSettings={"Enabled": True}
        )
        == "InvalidParameterException"
    )


def test_the_choices_are_kept_in_the_database(pool, idp):
    user = with_phone(idp)
    idp.set_user_mfa_preference(AccessToken=user["AccessToken"], SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    record = json.loads(pool.db.one("SELECT record FROM users WHERE sub = ?", (user["sub"],))[0])
    assert record["mfa"] == {"sms": True, "preferred": "SMS_MFA"}
