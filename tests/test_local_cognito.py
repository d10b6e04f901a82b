"""The local Cognito behaves as Cognito documents where moto does not."""

from __future__ import annotations

import logging
import os
import re
import stat

import boto3
import botocore.exceptions
import jwt
import pytest
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig

from local_cognito import start_local_cognito
from local_cognito.service import CognitoFault, LocalUserPool
from server.cognito import secret_hash
from server.config import load_config

PASSWORD = "I_love_apples"


@pytest.fixture(scope="module")
def idp(local_pool):
    local, config = local_pool
    client = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=local.endpoint_url,
                          config=BotoConfig(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))
    client.hash = lambda username: secret_hash(username, config.client_id, config.client_secret)
    client.client_id = config.client_id
    return client


def error_code(call, **params) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"]


def signed_up(idp, email, confirm=True):
    idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD)
    if confirm:
        idp.confirm_sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email,
                            ConfirmationCode="123456")


def password_auth(idp, email, hash_for=None):
    return idp.initiate_auth(ClientId=idp.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": idp.hash(hash_for or email)})


def test_sign_up_checks_the_secret_hash(idp, email):
    assert error_code(idp.sign_up, ClientId=idp.client_id, Username=email, Password=PASSWORD) == \
        "NotAuthorizedException"
    assert error_code(idp.sign_up, ClientId=idp.client_id, SecretHash=idp.hash("someone@else.com"),
                      Username=email, Password=PASSWORD) == "NotAuthorizedException"


def test_password_auth_checks_the_secret_hash(idp, email):
    signed_up(idp, email)
    assert error_code(password_auth, idp=idp, email=email, hash_for="x@example.com") == "NotAuthorizedException"
    assert password_auth(idp, email)["AuthenticationResult"]["AccessToken"]


def test_refresh_hash_must_use_the_sub_not_the_email(idp, email):
    signed_up(idp, email)
    result = password_auth(idp, email)["AuthenticationResult"]
    sub = jwt.decode(result["AccessToken"], options={"verify_signature": False})["username"]
    assert sub != email

    def refresh(name):
        return idp.initiate_auth(ClientId=idp.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
            "REFRESH_TOKEN": result["RefreshToken"], "SECRET_HASH": idp.hash(name)})

    assert error_code(refresh, name=email) == "NotAuthorizedException"
    assert refresh(sub)["AuthenticationResult"]["AccessToken"]


def test_tokens_verify_against_the_pool_jwks(idp, email, config):
    signed_up(idp, email)
    result = password_auth(idp, email)["AuthenticationResult"]
    keys = jwt.PyJWKClient(config.jwks_url)
    access = jwt.decode(result["AccessToken"], keys.get_signing_key_from_jwt(result["AccessToken"]).key,
                        algorithms=["RS256"], issuer=f"{config.endpoint_url}/{config.user_pool_id}")
    assert access["token_use"] == "access" and access["client_id"] == config.client_id
    identity = jwt.decode(result["IdToken"], keys.get_signing_key_from_jwt(result["IdToken"]).key,
                          algorithms=["RS256"], audience=config.client_id)
    assert identity["email"] == email and identity["email_verified"] is True
    assert identity["cognito:username"] == access["username"] == access["sub"]
    forged = jwt.encode(dict(access, sub="someone-else"), "k" * 32, algorithm="HS256")
    assert error_code(idp.get_user, AccessToken=forged) == "NotAuthorizedException"


def test_codes_are_random_logged_and_checked(tmp_path, caplog):
    pool = LocalUserPool(str(tmp_path))
    hashed = lambda name: secret_hash(name, pool.client_id, pool.client_secret)  # noqa: E731
    email = "random-code@example.com"
    with caplog.at_level(logging.WARNING, logger="local_cognito.mail"):
        pool.accounts.sign_up({"ClientId": pool.client_id, "SecretHash": hashed(email), "Username": email,
                               "Password": PASSWORD})
    [code] = re.findall(r"code is (\d{6})", caplog.text)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(CognitoFault) as caught:
        pool.accounts.confirm_sign_up({"ClientId": pool.client_id, "SecretHash": hashed(email),
                                       "Username": email, "ConfirmationCode": wrong})
    assert caught.value.name == "CodeMismatchException"
    pool.accounts.confirm_sign_up({"ClientId": pool.client_id, "SecretHash": hashed(email), "Username": email,
                                   "ConfirmationCode": code})
    with pytest.raises(CognitoFault) as caught:  # a code works once
        pool.accounts.confirm_sign_up({"ClientId": pool.client_id, "SecretHash": hashed(email),
                                       "Username": email, "ConfirmationCode": code})
    assert caught.value.name == "NotAuthorizedException"


@pytest.mark.parametrize("password,expected", [
    ("abcdefgh", None), ("I_love_apples", None), ("abcdefg", "InvalidPasswordException"),
    (" leading-space", "InvalidParameterException"), ("x" * 257, "InvalidPasswordException"),
])
def test_the_password_policy_is_the_tutorials(idp, email, password, expected):
    params = dict(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=password)
    if expected is None:
        assert idp.sign_up(**params)["UserConfirmed"] is False
    else:
        assert error_code(idp.sign_up, **params) == expected


def test_users_passwords_and_sessions_survive_a_restart(tmp_path):
    pool = LocalUserPool(str(tmp_path), pinned_code="424242")
    hashed = lambda name: secret_hash(name, pool.client_id, pool.client_secret)  # noqa: E731
    email = "persist@example.com"
    base = {"ClientId": pool.client_id, "SecretHash": hashed(email), "Username": email}
    pool.accounts.sign_up(dict(base, Password=PASSWORD, UserAttributes=[{"Name": "nickname", "Value": "P"}]))
    pool.accounts.confirm_sign_up(dict(base, ConfirmationCode="424242"))
    result = pool.sign_in.initiate_auth({"ClientId": pool.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                         "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD,
                                                            "SECRET_HASH": hashed(email)}})["AuthenticationResult"]

    again = LocalUserPool(str(tmp_path))
    assert (again.pool_id, again.client_id, again.client_secret) == (pool.pool_id, pool.client_id,
                                                                      pool.client_secret)
    sub = jwt.decode(result["AccessToken"], options={"verify_signature": False})["sub"]
    assert again.accounts.get_user({"AccessToken": result["AccessToken"]})["Username"] == sub
    refreshed = again.sign_in.initiate_auth({"ClientId": again.client_id, "AuthFlow": "REFRESH_TOKEN_AUTH",
                                             "AuthParameters": {"REFRESH_TOKEN": result["RefreshToken"],
                                                                "SECRET_HASH": hashed(sub)}})
    assert refreshed["AuthenticationResult"]["AccessToken"]
    assert again.sign_in.initiate_auth({"ClientId": again.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                        "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD,
                                                           "SECRET_HASH": hashed(email)}})["AuthenticationResult"]

    state = (tmp_path / "state.json").read_text()
    assert PASSWORD not in state and result["RefreshToken"] not in state
    for name in ("state.json", "signing-key.pem"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600


def test_an_unreadable_state_file_is_kept_aside(tmp_path):
    (tmp_path / "state.json").write_text("{ half written")
    pool = LocalUserPool(str(tmp_path))
    assert pool.pool_id
    assert any(name.startswith("state.json.unreadable-") for name in os.listdir(tmp_path))


def test_unimplemented_operations_say_so(idp):
    assert error_code(idp.list_user_pools, MaxResults=10) == "UnknownOperationException"


def test_it_never_starts_with_a_real_configuration():
    real = load_config({"COGNITO_REGION_NAME": "eu-west-1", "COGNITO_USER_POOL_ID": "p",
                        "COGNITO_USER_CLIENT_ID": "c", "COGNITO_CLIENT_SECRET": "s", "COOKIE_SECRET": "k"})
    with pytest.raises(RuntimeError):
        start_local_cognito(real)


def test_it_listens_on_loopback_only(local_pool):
    local, _ = local_pool
    assert local.address == "127.0.0.1"
    assert local.endpoint_url == f"http://127.0.0.1:{local.port}"


def test_wrong_codes_lock_the_code_after_five_tries(tmp_path):
    pool = LocalUserPool(str(tmp_path), pinned_code="424242")
    email = "guesser@example.com"
    base = {"ClientId": pool.client_id, "Username": email,
            "SecretHash": secret_hash(email, pool.client_id, pool.client_secret)}
    pool.accounts.sign_up(dict(base, Password=PASSWORD))
    for guess in range(5):
        with pytest.raises(CognitoFault) as caught:
            pool.accounts.confirm_sign_up(dict(base, ConfirmationCode=f"{guess:06d}"))
        assert caught.value.name == "CodeMismatchException"
    with pytest.raises(CognitoFault) as caught:
        pool.accounts.confirm_sign_up(dict(base, ConfirmationCode="424242"))
    assert caught.value.name == "LimitExceededException"
    pool.accounts.resend_confirmation_code(base)  # a new code starts a new count
    pool.accounts.confirm_sign_up(dict(base, ConfirmationCode="424242"))


def test_an_unexpected_failure_is_a_json_error(idp, email):
    # A lone surrogate cannot be hashed; the answer is still Cognito-shaped JSON.
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        idp._make_api_call("SignUp", {"ClientId": idp.client_id, "SecretHash": idp.hash(email),
                                      "Username": email, "Password": "abc\ud800defgh"})
    assert caught.value.response["Error"]["Code"] == "InternalErrorException"


def test_wrong_reset_codes_lock_the_code_after_five_tries(tmp_path):
    pool = LocalUserPool(str(tmp_path), pinned_code="424242")
    email = "resetter@example.com"
    base = {"ClientId": pool.client_id, "Username": email,
            "SecretHash": secret_hash(email, pool.client_id, pool.client_secret)}
    pool.accounts.sign_up(dict(base, Password=PASSWORD))
    pool.accounts.confirm_sign_up(dict(base, ConfirmationCode="424242"))
    pool.accounts.forgot_password(base)
    for guess in range(5):
        with pytest.raises(CognitoFault) as caught:
            pool.accounts.confirm_forgot_password(dict(base, ConfirmationCode=f"{guess:06d}",
                                                       Password="New_password_1"))
        assert caught.value.name == "CodeMismatchException"
    with pytest.raises(CognitoFault) as caught:
        pool.accounts.confirm_forgot_password(dict(base, ConfirmationCode="424242", Password="New_password_1"))
    assert caught.value.name == "LimitExceededException"
    pool.accounts.forgot_password(base)  # a new code starts a new count
    pool.accounts.confirm_forgot_password(dict(base, ConfirmationCode="424242", Password="New_password_1"))
