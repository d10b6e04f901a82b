"""SMS and email MFA over real HTTP, against the local Cognito: setMfa turns them on only once the
phone number or email is verified; signIn then answers the SMS_MFA or EMAIL_OTP step with where the
code went, respondToChallenge takes the code, and with several methods on and none preferred the
SELECT_MFA_TYPE step lets the person choose.
"""

from __future__ import annotations

import pytest

from tests.support import CODE, PASSWORD, Client
from tests.support.mfa import set_up_mfa

PASS = {"pass": PASSWORD}


def with_phone(client: Client, token: str, number: str = "+15550100123") -> None:
    assert client.call("updateUser", access_token=token, phone_number=number).status == 200
    assert client.call("verifyAttribute", access_token=token, attribute="phone_number", code=CODE).status == 200


def sign_in_step(base_url: str, email: str) -> dict:
    reply = Client(base_url).call("signIn", user=email, **PASS)
    assert reply.status == 200 and "access_token" not in reply.json and reply.set_cookies() == [], reply.body
    return reply.json


def test_sms_codes_need_a_verified_number_then_sign_in_asks_for_one(base_url, signed_in):
    client, email, answer = signed_in
    token = answer["access_token"]
    reply = client.call("setMfa", access_token=token, enabled=True, method="sms")
    assert (reply.status, reply.json["error"]) == (400, "PhoneNotVerified")
    with_phone(client, token)
    reply = client.call("setMfa", access_token=token, enabled=True, method="sms")
    assert (reply.status, reply.json) == (200, {"message": "OK", "mfa_enabled": True})
    profile = client.call("getUser", access_token=token).json
    assert (profile["mfa_methods"], profile["mfa_preferred"]) == (["SMS_MFA"], "SMS_MFA")

    step = sign_in_step(base_url, email)
    assert (step["message"], step["challenge"]) == ("MFA_REQUIRED", "SMS_MFA")
    assert step["delivery"] == {"destination": "+*******0123", "medium": "SMS"}
    person = Client(base_url)
    reply = person.call("respondToChallenge", session=step["session"], totp="000000")
    assert (reply.status, reply.json["error"]) == (400, "CodeMismatch")
    reply = person.call("respondToChallenge", session=step["session"], totp=CODE)
    assert reply.status == 200 and reply.json["token_type"] == "Bearer", reply.body
    assert "__Host-refresh" in person.cookies
    reply = person.call("respondToChallenge", session=step["session"], totp=CODE)
    assert (reply.status, reply.json["error"]) == (401, "ChallengeExpired")

    assert client.call("setMfa", access_token=token, enabled=False, method="sms").json["mfa_enabled"] is False
    assert "access_token" in Client(base_url).call("signIn", user=email, **PASS).json


def test_email_codes_go_to_the_verified_email(base_url, signed_in):
    client, email, answer = signed_in
    reply = client.call("setMfa", access_token=answer["access_token"], enabled=True, method="email")
    assert reply.status == 200, reply.body
    step = sign_in_step(base_url, email)
    assert (step["challenge"], step["delivery"]) == (
        "EMAIL_OTP",
        {"destination": f"{email[0]}***@e***", "medium": "EMAIL"},
    )
    reply = Client(base_url).call("respondToChallenge", session=step["session"], totp=CODE)
    assert reply.status == 200 and "access_token" in reply.json, reply.body


def test_several_methods_without_a_preference_let_the_person_choose(base_url, signed_in):
    client, email, answer = signed_in
    token = answer["access_token"]
    with_phone(client, token)
    secret, current, later = set_up_mfa(client, email, token)  # the authenticator app, preferred
    assert client.call("setMfa", access_token=token, enabled=True, method="sms", preferred=False).status == 200
    assert client.call("setMfa", access_token=token, enabled=True, method="email", preferred=False).status == 200
    profile = client.call("getUser", access_token=token).json
    assert (profile["mfa_methods"], profile["mfa_preferred"]) == (["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"], None)

    step = sign_in_step(base_url, email)
    assert (step["message"], step["challenge"], step["mfa_choices"]) == (
        "SELECT_MFA_TYPE",
        "SELECT_MFA_TYPE",
        ["sms", "totp", "email"],
    )
    person = Client(base_url)
    for wrong, error in (
        ({"mfa_choice": "carrier-pigeon"}, "InvalidField"),
        ({"totp": CODE}, "MissingField"),
        ({}, "MissingField"),
        ({"mfa_choice": "sms", "nickname": "Sam"}, "UnknownField"),
    ):
        reply = person.call("respondToChallenge", session=step["session"], **wrong)
        assert (reply.status, reply.json["error"]) == (400, error), reply.body
    reply = person.call("respondToChallenge", session=step["session"], mfa_choice="sms", totp=CODE)
    assert (reply.status, reply.json["field"]) == (400, "totp")
    reply = person.call("respondToChallenge", session=step["session"], mfa_choice="email")
    assert (reply.status, reply.json["challenge"]) == (200, "EMAIL_OTP")
    assert reply.json["delivery"]["medium"] == "EMAIL"
    reply = person.call("respondToChallenge", session=reply.json["session"], totp=CODE)
    assert reply.status == 200 and "access_token" in reply.json, reply.body

    step = sign_in_step(base_url, email)
    reply = person.call("respondToChallenge", session=step["session"], mfa_choice="totp")
    assert reply.json["challenge"] == "SOFTWARE_TOKEN_MFA"
    reply = person.call("respondToChallenge", session=reply.json["session"], totp=current)
    assert reply.status == 200 and "access_token" in reply.json, reply.body

    # Preferring one again: sign-in goes straight to it.
    assert client.call("setMfa", access_token=token, enabled=True, method="sms").status == 200
    assert sign_in_step(base_url, email)["challenge"] == "SMS_MFA"


@pytest.mark.parametrize("method", ["fax", "", "TOTP"])
def test_set_mfa_names_its_methods(signed_in, method):
    client, _, answer = signed_in
    reply = client.call("setMfa", access_token=answer["access_token"], enabled=True, method=method)
    assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "InvalidField", "method")
