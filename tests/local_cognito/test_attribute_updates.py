"""The local Cognito's change of email and phone number (local_cognito/attribute_updates.py), as
Cognito documents it: with AttributesRequireVerificationBeforeUpdate the old email stays the one that
signs in and that GetUser shows until the code sent to the new one is given; without it the email
changes at once, unverified; an app client that cannot write the email is refused.

Each test drives the module's local Cognito over HTTP with boto3; every code is the pinned CODE,
except where a test reads the code from the console log.
"""

from __future__ import annotations

import logging
import re

import botocore.session
import pytest

from tests.support import CODE, PASSWORD
from tests.support.local_pool import error_code, error_message, new_email, password_auth, signed_in

MODEL = botocore.session.get_session().get_service_model("cognito-idp")


def attributes(idp, token: str) -> dict:
    return {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=token)["UserAttributes"]}


@pytest.fixture
def features(pool):
    """Sets the pool's account features for one test, and puts the defaults back after it."""
    yield pool.configure_account_features
    pool.configure_account_features()


def test_a_new_email_waits_for_its_code_and_the_old_one_signs_in_meanwhile(idp, caplog):
    user = signed_in(idp)
    token, new = user["AccessToken"], new_email()
    with caplog.at_level(logging.WARNING, logger="local_cognito.mail"):
        answer = idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "email", "Value": new}])
    # Where the code went, masked as Cognito masks it, in the model's shape.
    assert answer["CodeDeliveryDetailsList"] == [
        {"Destination": f"{new[0]}***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    ]
    assert set(answer["CodeDeliveryDetailsList"][0]) <= set(MODEL.shape_for("CodeDeliveryDetailsType").members)
    assert re.search(rf"Email to {re.escape(new)}: your verification code is {CODE}", caplog.text)
    # Pending: the old address is still the account's, verified, and signs in; the new one does not.
    assert attributes(idp, token)["email"] == user["email"]
    assert attributes(idp, token)["email_verified"] == "true"
    assert "AuthenticationResult" in password_auth(idp, user["email"])
    assert error_code(lambda: password_auth(idp, new)) == "NotAuthorizedException"

    assert (
        error_code(idp.verify_user_attribute, AccessToken=token, AttributeName="email", Code="000000")
        == "CodeMismatchException"
    )
    assert idp.verify_user_attribute(AccessToken=token, AttributeName="email", Code=CODE)["ResponseMetadata"]
    after = attributes(idp, token)
    assert (after["email"], after["email_verified"]) == (new, "true")
    assert "AuthenticationResult" in password_auth(idp, new)
    assert error_code(lambda: password_auth(idp, user["email"])) == "NotAuthorizedException"


def test_the_pending_email_survives_a_restart_and_the_code_can_be_sent_again(pool, idp, caplog):
    user = signed_in(idp)
    token, new = user["AccessToken"], new_email()
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "email", "Value": new}])
    row = pool.db.one("SELECT record FROM users WHERE sub = ?", (user["sub"],))[0]
    assert f'"pending":{{"email":"{new}"}}' in row  # kept in the database, not only in memory
    with caplog.at_level(logging.WARNING, logger="local_cognito.mail"):
        sent = idp.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    assert sent["CodeDeliveryDetails"]["Destination"] == f"{new[0]}***@e***"
    assert f"Email to {new}:" in caplog.text  # to the new address, not the old one
    idp.verify_user_attribute(AccessToken=token, AttributeName="email", Code=CODE)
    assert attributes(idp, token)["email"] == new
    assert '"pending"' not in pool.db.one("SELECT record FROM users WHERE sub = ?", (user["sub"],))[0]


def test_an_email_another_account_uses_is_refused_then_and_at_verification(idp):
    first, second = signed_in(idp), signed_in(idp)
    assert (
        error_code(
            idp.update_user_attributes,
            AccessToken=first["AccessToken"],
            UserAttributes=[{"Name": "email", "Value": second["email"].upper()}],
        )
        == "AliasExistsException"
    )
    # Asked for while free, taken by someone else before the code came back.
    wanted = new_email()
    idp.update_user_attributes(AccessToken=first["AccessToken"], UserAttributes=[{"Name": "email", "Value": wanted}])
    signed_in(idp, wanted)
    assert (
        error_code(idp.verify_user_attribute, AccessToken=first["AccessToken"], AttributeName="email", Code=CODE)
        == "AliasExistsException"
    )
    assert attributes(idp, first["AccessToken"])["email"] == first["email"]


def test_expired_and_badly_formed_changes_are_refused(idp, clock):
    user = signed_in(idp)
    token = user["AccessToken"]
    assert (
        error_code(
            idp.update_user_attributes, AccessToken=token, UserAttributes=[{"Name": "email", "Value": "not-an-email"}]
        )
        == "InvalidParameterException"
    )
    for flag in ("email_verified", "phone_number_verified"):
        assert error_message(
            idp.update_user_attributes, AccessToken=token, UserAttributes=[{"Name": flag, "Value": "true"}]
        ) == ("NotAuthorizedException", "A client attempted to write unauthorized attribute")
    assert (
        error_code(idp.verify_user_attribute, AccessToken=token, AttributeName="nickname", Code=CODE)
        == "InvalidParameterException"
    )
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "email", "Value": new_email()}])
    clock.advance(24 * 3600 + 1)  # codes are good for 24 hours
    try:
        token = password_auth(idp, user["email"])["AuthenticationResult"]["AccessToken"]
        assert (
            error_code(idp.verify_user_attribute, AccessToken=token, AttributeName="email", Code=CODE)
            == "ExpiredCodeException"
        )
    finally:
        clock.advance(-(24 * 3600 + 1))
    assert attributes(idp, token)["email"] == user["email"]


def test_a_pool_without_verification_first_changes_the_email_at_once(idp, features):
    features(email_updates="immediate")
    user = signed_in(idp)
    token, new = user["AccessToken"], new_email()
    answer = idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "email", "Value": new}])
    assert answer["CodeDeliveryDetailsList"][0]["AttributeName"] == "email"
    assert (attributes(idp, token)["email"], attributes(idp, token)["email_verified"]) == (new, "false")
    assert "AuthenticationResult" in password_auth(idp, new)
    idp.verify_user_attribute(AccessToken=token, AttributeName="email", Code=CODE)
    assert attributes(idp, token)["email_verified"] == "true"


def test_an_app_client_that_cannot_write_the_email_is_refused(idp, features):
    features(email_updates="off")
    user = signed_in(idp)
    assert error_message(
        idp.update_user_attributes,
        AccessToken=user["AccessToken"],
        UserAttributes=[{"Name": "email", "Value": new_email()}],
    ) == ("NotAuthorizedException", "A client attempted to write unauthorized attribute")
    assert attributes(idp, user["AccessToken"])["email"] == user["email"]


def test_a_phone_number_is_unverified_until_its_texted_code(idp, caplog, features):
    user = signed_in(idp)
    token = user["AccessToken"]
    assert (
        error_code(
            idp.update_user_attributes,
            AccessToken=token,
            UserAttributes=[{"Name": "phone_number", "Value": "555 0100"}],
        )
        == "InvalidParameterException"
    )
    with caplog.at_level(logging.WARNING, logger="local_cognito.mail"):
        answer = idp.update_user_attributes(
            AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": "+15550100123"}]
        )
    assert answer["CodeDeliveryDetailsList"] == [
        {"Destination": "+*******0123", "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    ]
    assert f"SMS to +15550100123: your verification code is {CODE}" in caplog.text
    assert attributes(idp, token)["phone_number_verified"] == "false"
    idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=CODE)
    assert attributes(idp, token)["phone_number_verified"] == "true"
    # A pool that sends no text messages keeps numbers unverified, and sends no code for one.
    features(mfa_methods=("SOFTWARE_TOKEN_MFA",))
    answer = idp.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": "+15550100999"}]
    )
    assert answer["CodeDeliveryDetailsList"] == []
    assert (
        error_code(idp.get_user_attribute_verification_code, AccessToken=token, AttributeName="phone_number")
        == "InvalidParameterException"
    )
    assert PASSWORD  # the account still signs in with its password
    assert "AuthenticationResult" in password_auth(idp, user["email"])
