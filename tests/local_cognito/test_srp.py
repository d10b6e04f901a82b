"""The local Cognito's SRP sign-in (local_cognito/srp.py): USER_SRP_AUTH and PASSWORD_VERIFIER, driven
by pycognito's AWSSRP, a client we did not write, over HTTP with boto3.

pycognito computes SRP_A, the claim, the TIMESTAMP and both SECRET_HASHes itself; the local Cognito
must accept what it sends for the right password and refuse it for a wrong one, as Cognito does.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from pycognito.aws_srp import AWSSRP
from pycognito.exceptions import ForceChangePasswordException, SoftwareTokenMFAChallengeException

from tests.support import PASSWORD
from tests.support.local_pool import (
    admin_created,
    code_at,
    error_code,
    error_message,
    new_email,
    password_auth,
    respond_mfa,
    signed_up,
    with_mfa,
)


def aws_srp(idp, pool, email: str, password: str = PASSWORD) -> AWSSRP:
    return AWSSRP(
        username=email,
        password=password,
        pool_id=pool.pool_id,
        client_id=pool.client_id,
        client=idp,
        client_secret=pool.client_secret,
    )


def tokens_of(idp, pool, email: str, password: str = PASSWORD) -> dict:
    return aws_srp(idp, pool, email, password).authenticate_user()["AuthenticationResult"]


def test_pycognito_signs_in_with_srp(idp, pool, email):
    signed_up(idp, email)
    result = tokens_of(idp, pool, email)
    assert result["RefreshToken"] and result["TokenType"] == "Bearer"
    assert idp.get_user(AccessToken=result["AccessToken"])["UserAttributes"]


def test_the_challenge_names_the_user_as_cognito_does(idp, pool, email):
    signed_up(idp, email)
    srp = aws_srp(idp, pool, email)
    challenge = idp.initiate_auth(
        ClientId=pool.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=srp.get_auth_params()
    )
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    parameters = challenge["ChallengeParameters"]
    assert set(parameters) == {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "USER_ID_FOR_SRP"}
    assert parameters["USERNAME"] == parameters["USER_ID_FOR_SRP"] != email
    tokens = password_auth(idp, email)["AuthenticationResult"]
    assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == parameters["USER_ID_FOR_SRP"]
    int(parameters["SRP_B"], 16), int(parameters["SALT"], 16)  # hex numbers


def test_a_wrong_password_is_refused_like_a_password_sign_in(idp, pool, email):
    signed_up(idp, email)
    assert error_message(tokens_of, idp=idp, pool=pool, email=email, password="not-the-password") == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


def test_an_unknown_user_gets_a_challenge_then_the_same_refusal(idp, pool):
    email = new_email()

    def challenge():
        return idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters=aws_srp(idp, pool, email).get_auth_params(),
        )["ChallengeParameters"]

    first, second = challenge(), challenge()
    assert set(first) == {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "USER_ID_FOR_SRP"}
    assert (first["SALT"], first["USER_ID_FOR_SRP"]) == (second["SALT"], second["USER_ID_FOR_SRP"])
    assert first["SRP_B"] != second["SRP_B"]
    assert error_message(tokens_of, idp=idp, pool=pool, email=email) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


def test_mfa_follows_the_password_verifier(idp, pool, clock):
    user, secret = with_mfa(idp, clock)
    with pytest.raises(SoftwareTokenMFAChallengeException) as caught:
        aws_srp(idp, pool, user["email"]).authenticate_user()
    challenge = caught.value.get_tokens()
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    result = respond_mfa(idp, user, challenge["Session"], code_at(secret, clock()))["AuthenticationResult"]
    assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == user["sub"]


def test_an_admin_created_user_is_asked_for_a_new_password(idp, admin, pool):
    email = admin_created(admin, pool)
    with pytest.raises(ForceChangePasswordException):
        aws_srp(idp, pool, email, "temporary-pass-1").authenticate_user()


def _claim(idp, pool, email, timestamp=None, password=PASSWORD):
    """PASSWORD_VERIFIER's responses from pycognito, with another TIMESTAMP when given (the claim is
    signed over the timestamp sent, so only its format can be wrong)."""
    srp = aws_srp(idp, pool, email, password)
    auth = srp.get_auth_params()
    parameters = idp.initiate_auth(ClientId=pool.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=auth)[
        "ChallengeParameters"
    ]
    if timestamp is not None:
        srp.get_cognito_formatted_timestamp = lambda moment: timestamp
    return srp.process_challenge(parameters, auth)


def _respond(idp, pool, responses):
    return idp.respond_to_auth_challenge(
        ClientId=pool.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )


@pytest.mark.parametrize(
    "timestamp",
    [
        "Tue Dec 02 06:05:01 UTC 2026",
        "Di Dez 2 06:05:01 UTC 2026",
        "2026-12-02T06:05:01Z",
        "Tue Dec 2 6:05:01 UTC 2026",
    ],
)
def test_a_timestamp_not_in_cognitos_format_is_refused(idp, pool, email, timestamp):
    signed_up(idp, email)
    code, message = error_message(_respond, idp=idp, pool=pool, responses=_claim(idp, pool, email, timestamp))
    assert code == "InvalidParameterException" and "TIMESTAMP" in message


def test_the_timestamp_day_is_unpadded_and_signed_as_sent(idp, pool, email):
    signed_up(idp, email)
    responses = _claim(idp, pool, email, "Wed Jan 7 23:59:59 UTC 2026")  # any time: it is signed
    assert _respond(idp, pool, responses)["AuthenticationResult"]["AccessToken"]


def test_a_secret_block_answers_once(idp, pool, email):
    signed_up(idp, email)
    responses = _claim(idp, pool, email)
    assert _respond(idp, pool, responses)["AuthenticationResult"]
    assert error_code(_respond, idp=idp, pool=pool, responses=responses) == "NotAuthorizedException"


def test_secret_hash_is_required_on_both_steps(idp, pool, email):
    signed_up(idp, email)
    srp = aws_srp(idp, pool, email)
    auth = srp.get_auth_params()
    without = {k: v for k, v in auth.items() if k != "SECRET_HASH"}
    assert (
        error_code(idp.initiate_auth, ClientId=pool.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=without)
        == "NotAuthorizedException"
    )
    responses = _claim(idp, pool, email)
    assert (
        error_code(_respond, idp=idp, pool=pool, responses=dict(responses, SECRET_HASH=idp.hash(email)))
        == "NotAuthorizedException"
    )


def test_the_verifier_follows_the_password(idp, pool, email):
    signed_up(idp, email)
    tokens = tokens_of(idp, pool, email)
    idp.change_password(
        AccessToken=tokens["AccessToken"], PreviousPassword=PASSWORD, ProposedPassword="a-new-password-1"
    )
    assert error_code(tokens_of, idp=idp, pool=pool, email=email) == "NotAuthorizedException"
    assert tokens_of(idp, pool, email, "a-new-password-1")["AccessToken"]


def test_a_user_from_before_verifiers_gets_one_at_the_next_password_sign_in(idp, pool, email):
    signed_up(idp, email)
    with sqlite3.connect(pool.db.path) as db:  # the row as a database from before SRP holds it
        changed = db.execute(
            "UPDATE users SET record = json_remove(record, '$.srp') WHERE email_key = ?", (email.lower(),)
        ).rowcount
    assert changed == 1
    assert error_code(tokens_of, idp=idp, pool=pool, email=email) == "NotAuthorizedException"
    assert password_auth(idp, email)["AuthenticationResult"]
    with sqlite3.connect(pool.db.path) as db:  # kept, beside the scrypt hash
        kept = json.loads(db.execute("SELECT record FROM users WHERE email_key = ?", (email.lower(),)).fetchone()[0])
    assert set(kept["srp"]) == {"salt", "verifier", "for"} and PASSWORD not in json.dumps(kept)
    assert tokens_of(idp, pool, email)["AccessToken"]


def test_an_app_client_without_srp_refuses_it_as_cognito_does(idp, pool, email):
    signed_up(idp, email)
    flows = pool.client.extended_config["ExplicitAuthFlows"]
    pool.client.extended_config["ExplicitAuthFlows"] = [f for f in flows if f != "ALLOW_USER_SRP_AUTH"]
    try:
        assert error_message(tokens_of, idp=idp, pool=pool, email=email) == (
            "InvalidParameterException",
            "USER_SRP_AUTH flow not enabled for this client",
        )
    finally:
        pool.client.extended_config["ExplicitAuthFlows"] = flows
    assert tokens_of(idp, pool, email)["AccessToken"]
