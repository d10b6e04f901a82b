"""The local Cognito's own account operations (local_cognito/accounts.py): SECRET_HASH checked on
sign-up, the tutorial's password policy, and confirmation and reset codes that are random, logged,
checked, and locked after five wrong tries."""

from __future__ import annotations

import logging
import re

import pytest

from local_cognito.service import CognitoFault, LocalUserPool
from server.cognito import secret_hash
from tests.support import PASSWORD
from tests.support.local_pool import error_code


def test_sign_up_checks_the_secret_hash(local_pool_idp, email):
    idp = local_pool_idp
    assert (
        error_code(idp.sign_up, ClientId=idp.client_id, Username=email, Password=PASSWORD) == "NotAuthorizedException"
    )
    assert (
        error_code(
            idp.sign_up,
            ClientId=idp.client_id,
            SecretHash=idp.hash("someone@else.com"),
            Username=email,
            Password=PASSWORD,
        )
        == "NotAuthorizedException"
    )


def test_codes_are_random_logged_and_checked(tmp_path, caplog):
    pool = LocalUserPool(str(tmp_path))
    hashed = lambda name: secret_hash(name, pool.client_id, pool.client_secret)  # noqa: E731
    email = "random-code@example.com"
    with caplog.at_level(logging.WARNING, logger="local_cognito.mail"):
        pool.accounts.sign_up(
            {"ClientId": pool.client_id, "SecretHash": hashed(email), "Username": email, "Password": PASSWORD}
        )
    [code] = re.findall(r"code is (\d{6})", caplog.text)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(CognitoFault) as caught:
        pool.accounts.confirm_sign_up(
            {"ClientId": pool.client_id, "SecretHash": hashed(email), "Username": email, "ConfirmationCode": wrong}
        )
    assert caught.value.name == "CodeMismatchException"
    pool.accounts.confirm_sign_up(
        {"ClientId": pool.client_id, "SecretHash": hashed(email), "Username": email, "ConfirmationCode": code}
    )
    with pytest.raises(CognitoFault) as caught:  # a code works once
        pool.accounts.confirm_sign_up(
            {"ClientId": pool.client_id, "SecretHash": hashed(email), "Username": email, "ConfirmationCode": code}
        )
    assert caught.value.name == "NotAuthorizedException"


@pytest.mark.parametrize(
    "password,expected",
    [
        ("abcdefgh", None),
        ("I_love_apples", None),
        ("abcdefg", "InvalidPasswordException"),
        (" leading-space", "InvalidParameterException"),
        ("x" * 257, "InvalidPasswordException"),
    ],
)
def test_the_password_policy_is_the_tutorials(local_pool_idp, email, password, expected):
    idp = local_pool_idp
    params = dict(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=password)
    if expected is None:
        assert idp.sign_up(**params)["UserConfirmed"] is False
    else:
        assert error_code(idp.sign_up, **params) == expected


def test_wrong_codes_lock_the_code_after_five_tries(tmp_path):
    pool = LocalUserPool(str(tmp_path), pinned_code="424242")
    email = "guesser@example.com"
    base = {
        "ClientId": pool.client_id,
        "Username": email,
        "SecretHash": secret_hash(email, pool.client_id, pool.client_secret),
    }
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


def test_wrong_reset_codes_lock_the_code_after_five_tries(tmp_path):
    pool = LocalUserPool(str(tmp_path), pinned_code="424242")
    email = "resetter@example.com"
    base = {
        "ClientId": pool.client_id,
        "Username": email,
        "SecretHash": secret_hash(email, pool.client_id, pool.client_secret),
    }
    pool.accounts.sign_up(dict(base, Password=PASSWORD))
    pool.accounts.confirm_sign_up(dict(base, ConfirmationCode="424242"))
    pool.accounts.forgot_password(base)
    for guess in range(5):
        with pytest.raises(CognitoFault) as caught:
            pool.accounts.confirm_forgot_password(
                dict(base, ConfirmationCode=f"{guess:06d}", Password="New_password_1")
            )
        assert caught.value.name == "CodeMismatchException"
    with pytest.raises(CognitoFault) as caught:
        pool.accounts.confirm_forgot_password(dict(base, ConfirmationCode="424242", Password="New_password_1"))
    assert caught.value.name == "LimitExceededException"
    pool.accounts.forgot_password(base)  # a new code starts a new count
    pool.accounts.confirm_forgot_password(dict(base, ConfirmationCode="424242", Password="New_password_1"))
