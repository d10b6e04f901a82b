"""Passwords (local_cognito/passwords.py, password_work.py): scrypt at rest; a repeated correct
password is checked without scrypt, while a wrong one, an unknown user's and one not seen since the
start pay it in full; what is remembered is bounded and dies with the process; and scrypt runs off the
local Cognito's event loop, so a slow hash holds up no other call."""

from __future__ import annotations

import threading
import time

import botocore.exceptions
import pytest

from local_cognito import passwords
from local_cognito.endpoint import LocalCognito
from local_cognito.passwords import Passwords
from local_cognito.service import LocalUserPool
from tests.support import CODE, PASSWORD
from tests.support.data_folder import database_bytes
from tests.support.local_pool import clients, error_code, password_auth, signed_in


def counted(monkeypatch) -> list[str]:
    """The passwords scrypt checks from now on."""
    checked: list[str] = []
    real = passwords.scrypt_matches

    def counting(password, stored):
        checked.append(password)
        return real(password, stored)

    monkeypatch.setattr(passwords, "scrypt_matches", counting)
    return checked


def test_scrypt_is_paid_for_a_new_or_wrong_password_never_again_for_a_right_one(tmp_path, monkeypatch):
    first = LocalCognito(LocalUserPool(str(tmp_path), pinned_code=CODE)).start()
    try:
        user = signed_in(clients(first, first.pool)[0])
    finally:
        first.stop()
    # Started again: nothing is remembered from the process before.
    local = LocalCognito(LocalUserPool(str(tmp_path))).start()
    try:
        idp = clients(local, local.pool)[0]
        checked = counted(monkeypatch)
        assert password_auth(idp, user["email"])["AuthenticationResult"]
        assert checked == [PASSWORD]
        for _ in range(3):
            assert password_auth(idp, user["email"])["AuthenticationResult"]
        assert checked == [PASSWORD]  # remembered
        for wrong in ("Wrong_password_1", "Wrong_password_1"):
            assert error_code(password_auth, idp=idp, email=user["email"], password=wrong) == "NotAuthorizedException"
        assert checked == [PASSWORD, "Wrong_password_1", "Wrong_password_1"]  # never remembered
        assert (
            error_code(password_auth, idp=idp, email="nobody@example.com", password=PASSWORD)
            == "NotAuthorizedException"
        )
        assert checked[-1] == PASSWORD and len(checked) == 4  # against the decoy hash, as long
    finally:
        local.stop()
    assert PASSWORD.encode() not in database_bytes(str(tmp_path))


def test_what_is_remembered_is_bounded_and_is_the_process_s_own(monkeypatch):
    monkeypatch.setattr(passwords, "REMEMBERED", 2)
    names = ("one-password", "two-password", "three-password")
    stored = {name: passwords.hash_password(name) for name in names}
    kept = Passwords()
    checked = counted(monkeypatch)
    for name in ("one-password", "two-password", "one-password", "three-password", "two-password", "one-password"):
        assert kept.matches(name, stored[name])
        assert not kept.matches(name.upper(), stored[name])
    # Two are remembered, the least recently used pushed out: "three" pushed "two" out, "two" "one".
    right = [name for name in checked if name.islower()]
    assert right == ["one-password", "two-password", "three-password", "two-password", "one-password"]
    assert len(checked) - len(right) == 6  # a wrong password, every time
    checked.clear()
    assert Passwords().matches("one-password", stored["one-password"]) and checked == ["one-password"]


def test_a_slow_password_check_holds_up_no_other_call(served, monkeypatch):
    idp = served.idp
    other = signed_in(idp)
    started, release = threading.Event(), threading.Event()
    real = passwords.scrypt_matches

    def slow(password, stored):
        started.set()
        release.wait(10)
        return real(password, stored)

    monkeypatch.setattr(passwords, "scrypt_matches", slow)
    outcome: list[str] = []

    def wrong_sign_in():
        try:
            password_auth(idp, other["email"], "Wrong_password_2")
        except botocore.exceptions.ClientError as error:
            outcome.append(error.response["Error"]["Code"])

    waiting = threading.Thread(target=wrong_sign_in)
    waiting.start()
    try:
        assert started.wait(10)
        began = time.monotonic()
        assert idp.get_user(AccessToken=other["AccessToken"])["Username"] == other["sub"]
        assert password_auth(idp, other["email"])["AuthenticationResult"]  # remembered: no scrypt
        assert time.monotonic() - began < 2 and not outcome  # answered while the check still runs
    finally:
        release.set()
        waiting.join(20)
    assert outcome == ["NotAuthorizedException"]


def test_a_password_scrypt_cannot_take_fails_alone(served):
    # Prepared ahead, its failure is left to the operation, which answers as it always did.
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        served.idp._make_api_call(
            "InitiateAuth",
            {
                "ClientId": served.idp.client_id,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {
                    "USERNAME": "nobody@example.com",
                    "PASSWORD": "abc\ud800defgh",
                    "SECRET_HASH": served.idp.hash("nobody@example.com"),
                },
            },
        )
    assert caught.value.response["Error"]["Code"] == "InternalErrorException"
    assert password_auth(served.idp, signed_in(served.idp)["email"])["AuthenticationResult"]
