"""The change of email and SMS and email MFA against moto's server (something we did not write), with
the shapes checked against botocore's model, and where moto differs from Cognito's documented
behaviour (the local Cognito follows Cognito's: tests/local_cognito/test_attribute_updates.py and
test_mfa_codes.py)."""

from __future__ import annotations

import botocore.session

from tests.support import PASSWORD, Client
from tests.support.against_moto import ANY_CODE, assert_clean_error, assert_moto_lacks, new_email, sign_in, signed_up

MODEL = botocore.session.get_session().get_service_model("cognito-idp")


def test_the_operations_and_challenges_are_cognitos():
    """What the server sends and reads, as botocore's model of cognito-idp names it."""
    assert {"UpdateUserAttributes", "VerifyUserAttribute", "GetUserAttributeVerificationCode"} <= set(
        MODEL.operation_names
    )
    assert list(MODEL.operation_model("UpdateUserAttributes").output_shape.members) == ["CodeDeliveryDetailsList"]
    assert set(MODEL.shape_for("CodeDeliveryDetailsType").members) == {"Destination", "DeliveryMedium", "AttributeName"}
    assert {"SMSMfaSettings", "EmailMfaSettings", "SoftwareTokenMfaSettings"} <= set(
        MODEL.operation_model("SetUserMFAPreference").input_shape.members
    )
    assert {"SMS_MFA", "EMAIL_OTP", "SELECT_MFA_TYPE"} <= set(MODEL.shape_for("ChallengeNameType").enum)
    assert set(MODEL.shape_for("DeliveryMediumType").enum) == {"SMS", "EMAIL"}


def test_moto_gap_a_new_email_replaces_the_old_one_at_once(server, idp, pool):
    """Cognito with AttributesRequireVerificationBeforeUpdate keeps the old email until the code is
    given, and answers where the code went; moto changes the email at once (and its CreateUserPool
    ignores the setting) and answers no CodeDeliveryDetailsList. Our server passes on what it gets.
    moto also finds a token's user by the name signed in with, so the token of a sign-in with the
    old email stops working (Cognito's tokens name the sub, which does not change)."""
    client, old, tokens = signed_up(server)
    new = new_email("moved")
    reply = client.call("updateUser", access_token=tokens["access_token"], email=new)
    assert (reply.status, reply.json) == (200, {"message": "OK", "code_deliveries": []}), reply.body
    assert_clean_error(client.call("getUser", access_token=tokens["access_token"]), 401, "NotAuthorized")
    assert_clean_error(Client(server).call("signIn", user=old, **{"pass": PASSWORD}), 401, "NotAuthorized")
    token = sign_in(server, new)["access_token"]
    assert client.call("getUser", access_token=token).json["attributes"]["email"] == new
    # As Cognito does, an address another account has is refused.
    _, other, _ = signed_up(server)
    assert_clean_error(client.call("updateUser", access_token=token, email=other), 409, "AliasExists")


def test_moto_gap_verify_and_resend_attribute_codes_are_missing(moto, server):
    for operation in ("VerifyUserAttribute", "GetUserAttributeVerificationCode"):
        assert_moto_lacks(moto, operation)
    client, _, tokens = signed_up(server)
    assert_clean_error(client.call("verifyAttribute", access_token=tokens["access_token"], code="123456"))
    assert_clean_error(client.call("resendAttributeCode", access_token=tokens["access_token"]))


def test_sms_mfa_sign_in_and_where_moto_differs(server, idp, pool):
    """With a verified number (set here by an admin call, as moto cannot text a code), setMfa turns
    SMS codes on, and sign-in answers moto's SMS_MFA step, which respondToChallenge completes. moto
    names no CODE_DELIVERY_DESTINATION (no "delivery" in our answer), and takes any code."""
    client, email, tokens = signed_up(server)
    token = tokens["access_token"]
    assert_clean_error(client.call("setMfa", access_token=token, enabled=True, method="sms"), 400, "PhoneNotVerified")
    idp.admin_update_user_attributes(
        UserPoolId=pool.id,
        Username=email,
        UserAttributes=[
            {"Name": "phone_number", "Value": "+15550100123"},
            {"Name": "phone_number_verified", "Value": "true"},
        ],
    )
    reply = client.call("setMfa", access_token=token, enabled=True, method="sms")
    assert (reply.status, reply.json) == (200, {"message": "OK", "mfa_enabled": True}), reply.body
    profile = client.call("getUser", access_token=token).json
    assert (profile["mfa_methods"], profile["mfa_preferred"]) == (["SMS_MFA"], "SMS_MFA")

    person = Client(server)
    step = person.call("signIn", user=email, **{"pass": PASSWORD}).json
    assert (step["message"], step["challenge"]) == ("MFA_REQUIRED", "SMS_MFA")
    assert "delivery" not in step  # moto sends no CODE_DELIVERY_* parameters
    reply = person.call("respondToChallenge", session=step["session"], user=email, totp=ANY_CODE)
    assert reply.status == 200 and reply.json["token_type"] == "Bearer", reply.body

    assert client.call("setMfa", access_token=token, enabled=False, method="sms").json["mfa_enabled"] is False
    assert "access_token" in sign_in(server, email)


def test_moto_gap_email_mfa_is_not_kept(server, idp, pool):
    """Cognito keeps EmailMfaSettings (on a pool with email MFA); moto's SetUserMFAPreference ignores
    them: the call succeeds and getUser shows no EMAIL_OTP, and sign-in asks for no code. (moto's
    ConfirmSignUp leaves email_verified unset, which an admin call sets here; without it the server
    answers EmailNotVerified, as it would to Cognito's unverified email.)"""
    client, email, tokens = signed_up(server)
    reply = client.call("setMfa", access_token=tokens["access_token"], enabled=True, method="email")
    assert_clean_error(reply, 400, "EmailNotVerified")
    idp.admin_update_user_attributes(
        UserPoolId=pool.id, Username=email, UserAttributes=[{"Name": "email_verified", "Value": "true"}]
    )
    reply = client.call("setMfa", access_token=tokens["access_token"], enabled=True, method="email")
    assert reply.status == 200, reply.body
    assert client.call("getUser", access_token=tokens["access_token"]).json["mfa_methods"] == []
    assert "access_token" in sign_in(server, email)
