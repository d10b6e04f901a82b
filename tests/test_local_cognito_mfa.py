"""The local Cognito's TOTP MFA and sign-in challenges behave as Cognito documents them.

Each test drives a local Cognito over HTTP with boto3, on a pool whose clock the test moves.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import boto3
import botocore.exceptions
import jwt
import pyotp
import pytest
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig

from local_cognito.endpoint import LocalCognito
from local_cognito.service import LocalUserPool
from local_cognito.totp import STEP_SECONDS, SoftwareToken, accepted_step, new_secret
from server.cognito import secret_hash
from tests.test_local_cognito import PASSWORD, error_code

CODE = "123456"


class Clock:
    """The pool's clock; tests move it forward."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def clients(local: LocalCognito, pool: LocalUserPool):
    """(public client, unsigned; admin client, SigV4-signed with dummy keys), as the server uses them."""
    common = dict(region_name="us-east-1", endpoint_url=local.endpoint_url)
    idp = boto3.client("cognito-idp", **common,
                       config=BotoConfig(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))
    admin = boto3.client("cognito-idp", **common, aws_access_key_id="local", aws_secret_access_key="local",
                         config=BotoConfig(retries={"total_max_attempts": 1}))
    idp.hash = lambda username: secret_hash(username, pool.client_id, pool.client_secret)
    idp.client_id = pool.client_id
    return idp, admin


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    clock = Clock()
    pool = LocalUserPool(str(tmp_path_factory.mktemp("mfa")), pinned_code=CODE, clock=clock)
    local = LocalCognito(pool).start()
    idp, admin = clients(local, pool)
    yield pool, clock, idp, admin
    local.stop()


@pytest.fixture
def pool(served):
    return served[0]


@pytest.fixture
def clock(served):
    return served[1]


@pytest.fixture
def idp(served):
    return served[2]


@pytest.fixture
def admin(served):
    return served[3]


def new_email() -> str:
    return f"mfa-{uuid.uuid4().hex[:12]}@example.com"


def signed_in(idp, email: str | None = None) -> dict:
    """A new confirmed user, signed in: the AuthenticationResult plus "email" and "sub"."""
    email = email or new_email()
    idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD)
    idp.confirm_sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email,
                        ConfirmationCode=CODE)
    result = password_auth(idp, email)["AuthenticationResult"]
    sub = jwt.decode(result["AccessToken"], options={"verify_signature": False})["sub"]
    return dict(result, email=email, sub=sub)


def password_auth(idp, email: str, password: str = PASSWORD) -> dict:
    return idp.initiate_auth(ClientId=idp.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": email, "PASSWORD": password, "SECRET_HASH": idp.hash(email)})


def code_at(secret: str, moment: float) -> str:
    return pyotp.TOTP(secret).at(moment)


def with_mfa(idp, clock) -> tuple[dict, str]:
    """A signed-in user with TOTP MFA verified and on, the clock moved past the verifying code."""
    user = signed_in(idp)
    secret = idp.associate_software_token(AccessToken=user["AccessToken"])["SecretCode"]
    idp.verify_software_token(AccessToken=user["AccessToken"], UserCode=code_at(secret, clock()),
                              FriendlyDeviceName="phone")
    idp.set_user_mfa_preference(AccessToken=user["AccessToken"], SoftwareTokenMfaSettings={
        "Enabled": True, "PreferredMfa": True})
    clock.advance(STEP_SECONDS)  # the verifying code's step is spent
    return user, secret


def respond_mfa(idp, user: dict, session: str, code: str, username: str | None = None) -> dict:
    username = username or user["sub"]
    return idp.respond_to_auth_challenge(
        ClientId=idp.client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=session,
        ChallengeResponses={"USERNAME": username, "SECRET_HASH": idp.hash(username),
                            "SOFTWARE_TOKEN_MFA_CODE": code})


def error_message(call, **params) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


# --- the TOTP arithmetic ------------------------------------------------------------------------------


def test_secrets_are_32_base32_characters_of_fresh_randomness():
    secrets_made = {new_secret() for _ in range(50)}
    assert len(secrets_made) == 50
    for secret in secrets_made:
        assert len(secret) == 32 and len(base64.b32decode(secret)) == 20


def test_a_code_is_good_one_step_either_side_and_once():
    secret, now = new_secret(), 1_700_000_000.0
    step = int(now // STEP_SECONDS)
    for offset in (-1, 0, 1):
        assert accepted_step(secret, code_at(secret, now + offset * STEP_SECONDS), now, None) == step + offset
    for offset in (-2, 2):
        assert accepted_step(secret, code_at(secret, now + offset * STEP_SECONDS), now, None) is None
    assert accepted_step(secret, code_at(secret, now), now, last_step=step) is None  # used
    assert accepted_step(secret, code_at(secret, now - STEP_SECONDS), now, last_step=step) is None  # older
    assert accepted_step(secret, " " + code_at(secret, now), now, None) is None


# --- setting up TOTP ------------------------------------------------------------------------------------


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
    assert error_code(idp.verify_software_token, AccessToken=token, UserCode="123456") == \
        "SoftwareTokenMFANotFoundException"
    old = idp.associate_software_token(AccessToken=token)["SecretCode"]
    pending = idp.associate_software_token(AccessToken=token)["SecretCode"]
    assert error_message(idp.verify_software_token, AccessToken=token, UserCode=code_at(old, clock())) == \
        ("EnableSoftwareTokenMFAException", "Code mismatch")
    assert idp.verify_software_token(AccessToken=token, UserCode=code_at(pending, clock()),
                                     FriendlyDeviceName="phone")["Status"] == "SUCCESS"


def test_the_session_form_of_associate_is_refused(idp):
    assert error_code(idp.associate_software_token, Session="s" * 40) == "InvalidParameterException"


def test_mfa_can_only_be_enabled_with_a_verified_secret(idp):
    user = signed_in(idp)
    idp.associate_software_token(AccessToken=user["AccessToken"])  # pending, not verified
    assert error_message(idp.set_user_mfa_preference, AccessToken=user["AccessToken"],
                         SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}) == \
        ("InvalidParameterException", "User has not verified software token mfa")
    assert idp.get_user(AccessToken=user["AccessToken"])["UserMFASettingList"] == []


def test_get_user_and_admin_get_user_show_the_mfa_settings(idp, admin, pool, clock):
    user, _ = with_mfa(idp, clock)
    mine = idp.get_user(AccessToken=user["AccessToken"])
    theirs = admin.admin_get_user(UserPoolId=pool.pool_id, Username=user["email"])
    for seen in (mine, theirs):
        assert seen["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
        assert seen["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"


# --- the SOFTWARE_TOKEN_MFA challenge -------------------------------------------------------------------


def test_sign_in_with_mfa_goes_through_the_challenge(idp, clock):
    user, secret = with_mfa(idp, clock)
    challenge = password_auth(idp, user["email"])
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert challenge["ChallengeParameters"] == {"USER_ID_FOR_SRP": user["sub"]}
    assert "AuthenticationResult" not in challenge and len(challenge["Session"]) >= 20

    right = code_at(secret, clock())
    wrong = next(c for c in ("000000", "111111") if c != right)
    assert error_code(respond_mfa, idp=idp, user=user, session=challenge["Session"], code=wrong) == \
        "CodeMismatchException"
    result = respond_mfa(idp, user, challenge["Session"], right)["AuthenticationResult"]  # still usable
    assert result["RefreshToken"] and result["TokenType"] == "Bearer"
    assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == user["sub"]

    # The session is spent, and so is the code's time step.
    assert error_message(respond_mfa, idp=idp, user=user, session=challenge["Session"], code=right) == \
        ("NotAuthorizedException", "Invalid session for the user, session can only be used once.")
    again = password_auth(idp, user["email"])
    assert error_code(respond_mfa, idp=idp, user=user, session=again["Session"], code=right) == \
        "CodeMismatchException"
    clock.advance(STEP_SECONDS)
    assert respond_mfa(idp, user, again["Session"], code_at(secret, clock()))["AuthenticationResult"]


def test_an_expired_session_is_refused(idp, clock):
    user, secret = with_mfa(idp, clock)
    session = password_auth(idp, user["email"])["Session"]
    clock.advance(181)
    assert error_message(respond_mfa, idp=idp, user=user, session=session,
                         code=code_at(secret, clock())) == \
        ("NotAuthorizedException", "Invalid session for the user, session is expired.")


def test_five_wrong_codes_spend_the_session(idp, clock):
    user, secret = with_mfa(idp, clock)
    session = password_auth(idp, user["email"])["Session"]
    right = code_at(secret, clock())
    wrongs = [c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c != right][:5]
    for wrong in wrongs:
        assert error_code(respond_mfa, idp=idp, user=user, session=session, code=wrong) == \
            "CodeMismatchException"
    assert error_code(respond_mfa, idp=idp, user=user, session=session, code=right) == \
        "NotAuthorizedException"


def test_the_answer_must_match_the_sessions_user_challenge_and_hash(idp, clock):
    user, secret = with_mfa(idp, clock)
    other = signed_in(idp)
    session = password_auth(idp, user["email"])["Session"]
    code = code_at(secret, clock())
    assert error_code(respond_mfa, idp=idp, user=user, session=session, code=code,
                      username=other["sub"]) == "NotAuthorizedException"
    assert error_code(idp.respond_to_auth_challenge, ClientId=idp.client_id,
                      ChallengeName="NEW_PASSWORD_REQUIRED", Session=session, ChallengeResponses={
                          "USERNAME": user["sub"], "SECRET_HASH": idp.hash(user["sub"]),
                          "NEW_PASSWORD": "another password"}) == "InvalidParameterException"
    assert error_code(idp.respond_to_auth_challenge, ClientId=idp.client_id,
                      ChallengeName="SOFTWARE_TOKEN_MFA", Session=session, ChallengeResponses={
                          "USERNAME": user["sub"], "SECRET_HASH": idp.hash(user["email"]),
                          "SOFTWARE_TOKEN_MFA_CODE": code}) == "NotAuthorizedException"
    assert error_code(respond_mfa, idp=idp, user=user, session="x" * 40, code=code) == \
        "NotAuthorizedException"
    # None of that spent the session; the email works as USERNAME too, hashed on the email.
    assert respond_mfa(idp, user, session, code, username=user["email"])["AuthenticationResult"]


def test_turning_mfa_off_keeps_the_secret_for_later(idp, clock):
    user, secret = with_mfa(idp, clock)
    idp.set_user_mfa_preference(AccessToken=user["AccessToken"], SoftwareTokenMfaSettings={
        "Enabled": False, "PreferredMfa": False})
    assert idp.get_user(AccessToken=user["AccessToken"])["UserMFASettingList"] == []
    assert password_auth(idp, user["email"])["AuthenticationResult"]["AccessToken"]

    idp.set_user_mfa_preference(AccessToken=user["AccessToken"], SoftwareTokenMfaSettings={"Enabled": True})
    challenge = password_auth(idp, user["email"])
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert respond_mfa(idp, user, challenge["Session"], code_at(secret, clock()))["AuthenticationResult"]


# --- NEW_PASSWORD_REQUIRED ------------------------------------------------------------------------------


def admin_created(admin, pool, temporary="temporary-pass-1") -> str:
    email = new_email()
    admin.admin_create_user(UserPoolId=pool.pool_id, Username=email, TemporaryPassword=temporary,
                            MessageAction="SUPPRESS",
                            UserAttributes=[{"Name": "nickname", "Value": "Nick"}])
    return email


def respond_new_password(idp, sub: str, session: str, password: str) -> dict:
    return idp.respond_to_auth_challenge(
        ClientId=idp.client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=session,
        ChallengeResponses={"USERNAME": sub, "SECRET_HASH": idp.hash(sub), "NEW_PASSWORD": password})


def test_an_admin_created_user_must_choose_a_password(idp, admin, pool):
    email = admin_created(admin, pool)
    challenge = password_auth(idp, email, "temporary-pass-1")
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED" and "AuthenticationResult" not in challenge
    parameters = challenge["ChallengeParameters"]
    sub = parameters["USER_ID_FOR_SRP"]
    assert parameters["requiredAttributes"] == "[]"
    assert json.loads(parameters["userAttributes"]) == {"email": email, "email_verified": "false",
                                                        "nickname": "Nick"}

    assert error_code(respond_new_password, idp=idp, sub=sub, session=challenge["Session"],
                      password="short") == "InvalidPasswordException"
    result = respond_new_password(idp, sub, challenge["Session"], "my own password")["AuthenticationResult"]
    assert result["RefreshToken"]
    assert admin.admin_get_user(UserPoolId=pool.pool_id, Username=sub)["UserStatus"] == "CONFIRMED"
    assert error_code(password_auth, idp=idp, email=email, password="temporary-pass-1") == \
        "NotAuthorizedException"
    assert password_auth(idp, email, "my own password")["AuthenticationResult"]["AccessToken"]


def test_the_mfa_challenge_follows_the_new_password(idp, admin, pool, clock):
    email = admin_created(admin, pool)
    sub = admin.admin_get_user(UserPoolId=pool.pool_id, Username=email)["Username"]
    secret = new_secret()
    pool.software_tokens[sub] = SoftwareToken(secret=secret, enabled=True)  # as if set up earlier
    session = password_auth(idp, email, "temporary-pass-1")["Session"]
    then = respond_new_password(idp, sub, session, "my own password")
    assert then["ChallengeName"] == "SOFTWARE_TOKEN_MFA" and "AuthenticationResult" not in then
    assert then["Session"] != session
    assert respond_mfa(idp, {"sub": sub}, then["Session"], code_at(secret, clock()))["AuthenticationResult"]


def test_a_temporary_password_expires_after_seven_days(tmp_path):
    clock = Clock()
    pool = LocalUserPool(str(tmp_path), clock=clock)
    local = LocalCognito(pool).start()
    try:
        idp, admin = clients(local, pool)
        email = admin_created(admin, pool)
        assert password_auth(idp, email, "temporary-pass-1")["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
        clock.advance(7 * 24 * 3600 + 1)
        assert error_message(password_auth, idp=idp, email=email, password="temporary-pass-1") == \
            ("NotAuthorizedException", "Temporary password has expired and must be reset by an administrator.")
    finally:
        local.stop()
