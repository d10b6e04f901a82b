"""What ``user`` may hold, over real HTTP: an email, never the account's ``sub`` (one account, one
rate-limit budget); no control, formatting or direction character, refused with 400 InvalidField
before Cognito sees it, in every method and both envelopes; and emails told apart as the pool tells
them: ASCII letters in any case are one address, two different addresses are never one account."""

from __future__ import annotations

import uuid

import jwt
import pytest

from local_cognito import start_local_cognito
from server.config import load_config
from server.registry import METHODS
from tests.support import CODE, PASSWORD, STAND_IN_POOL, Client, StandInCognito, local_config, serve_app

PASS = {"pass": PASSWORD}
HOSTILE = {
    "ESC": "\x1b[31m",
    "NUL": "\x00",
    "CR LF": "\r\n",
    "RLO": "\u202e",
    "LRI": "\u2066",
    "RLM": "\u200f",
    "LSEP": "\u2028",
    "PSEP": "\u2029",
    "ZWSP": "\u200b",
    "C1 CSI": "\x9b",
}
# Every method with a user field, and what else it needs to reach its handler.
USER_FIELDS = {
    "createAccount": PASS,
    "signIn": PASS,
    "confirmAccount": {"conf_code": "123456", **PASS},
    "resendCode": {},
    "forgotPassword": {},
    "confirmForgotPassword": {"conf_code": "123456", "new_pass": PASSWORD},
    "respondToChallenge": {"session": "s", "totp": "123456"},
    "QR_init": {"access_token": "t"},
    "adminCreateUser": {"access_token": "t"},
    "adminGetUser": {"access_token": "t"},
    "adminDisableUser": {"access_token": "t"},
    "adminEnableUser": {"access_token": "t"},
    "adminDeleteUser": {"access_token": "t"},
    "adminDeleteAcct": {"access_token": "t"},
    "adminResetPassword": {"access_token": "t"},
    "adminConfirmSignUp": {"access_token": "t"},
    "adminSignOut": {"access_token": "t"},
    "adminAddUserToGroup": {"access_token": "t", "group": "g"},
    "adminRemoveUserFromGroup": {"access_token": "t", "group": "g"},
    "signInWithCode": {},
    "passkeySignInStart": {},
}


def test_every_method_with_a_user_field_is_listed_here():
    assert set(USER_FIELDS) == {name for name, method in METHODS.items() if method.field("user")}


@pytest.fixture(scope="module")
def stand_in():
    cognito = StandInCognito()
    server = serve_app(
        load_config(
            {
                **STAND_IN_POOL,
                "COGNITO_ENDPOINT_URL": cognito.url,
                "RATE_LIMIT_PER_ADDRESS": "off",
                "RATE_LIMIT_PER_USER": "off",
            }
        )
    )
    cognito.client = Client(server.url)
    yield cognito
    server.stop()
    cognito.stop()


@pytest.mark.parametrize("character", sorted(HOSTILE), ids=sorted(HOSTILE))
@pytest.mark.parametrize("method", sorted(USER_FIELDS))
def test_a_control_or_direction_character_in_user_is_400_before_cognito(stand_in, method, character):
    stand_in.received.clear()
    user = f"sam{HOSTILE[character]}@example.com"
    reply = stand_in.client.call(method, user=user, **USER_FIELDS[method])
    assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "InvalidField", "user"), reply.body
    assert HOSTILE[character] not in reply.json["message"]  # it names the character, never writes it
    assert stand_in.received == []  # Cognito saw nothing of it


def test_json_rpc_refuses_it_as_invalid_params(stand_in):
    stand_in.received.clear()
    reply = stand_in.client.post(
        {"jsonrpc": "2.0", "method": "forgotPassword", "params": {"user": "sam\u202e@example.com"}, "id": 7}
    )
    error = reply.json["error"]
    assert (error["code"], error["data"]["error"], error["data"]["field"]) == (-32602, "InvalidField", "user")
    assert "U+202E" in error["data"]["message"] and stand_in.received == []


@pytest.mark.parametrize(
    "method",
    [
        "createAccount",
        "signIn",
        "confirmAccount",
        "resendCode",
        "forgotPassword",
        "confirmForgotPassword",
        "respondToChallenge",
        "QR_init",
        "adminCreateUser",
    ],
)
def test_a_user_that_is_not_an_email_is_refused_where_an_email_is_the_user_name(stand_in, method):
    stand_in.received.clear()
    reply = stand_in.client.call(method, user="6f0e3b52-1d2a-4f55-9b1e-0c2f5d7e8a91", **USER_FIELDS[method])
    assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "InvalidField", "user")
    assert "email" in reply.json["message"] and stand_in.received == []


# --- in local mode ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """A server in local mode whose per-user limit is 3 calls a minute."""
    local, config = start_local_cognito(
        load_config(
            local_config(
                str(tmp_path_factory.mktemp("user-field")), RATE_LIMIT_PER_ADDRESS="off", RATE_LIMIT_PER_USER="3/60"
            )
        )
    )
    server = serve_app(config, config.port)
    yield config.base_url
    server.stop()
    local.stop()


def confirmed(base_url: str, email: str, password: str = PASSWORD) -> dict:
    client = Client(base_url)
    assert client.call("createAccount", user=email, **{"pass": password}).status == 200
    reply = client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": password})
    assert reply.status == 200, reply.body
    return jwt.decode(reply.json["access_token"], options={"verify_signature": False})


def test_guesses_by_sub_do_not_escape_the_accounts_limit(limited):
    """Once the per-user limit stops guesses by email, the account's sub as user is no way around it:
    refused as not an email, even with the right password."""
    email = f"budget-{uuid.uuid4().hex[:10]}@example.com"
    sub = confirmed(limited, email)["sub"]
    guesser = Client(limited)
    statuses = [guesser.call("signIn", user=email, **{"pass": f"guess-{n}-password"}).status for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    for method, fields in (
        ("signIn", PASS),
        ("forgotPassword", {}),
        ("resendCode", {}),
        ("confirmForgotPassword", USER_FIELDS["confirmForgotPassword"]),
    ):
        reply = guesser.call(method, user=sub, **fields)
        assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "InvalidField", "user"), method
        assert "access_token" not in reply.json


def test_ascii_case_is_one_account_and_one_budget(limited):
    email = f"Alice-{uuid.uuid4().hex[:10]}@Example.com"
    confirmed(limited, email)
    client = Client(limited)
    reply = client.call("createAccount", user=email.lower(), **PASS)
    assert (reply.status, reply.json["error"]) == (409, "UsernameExists")
    assert client.call("signIn", user=email.upper(), **PASS).status == 200
    for spelling in (email.lower(), email.upper()):
        assert client.call("signIn", user=spelling, **{"pass": "not-the-password"}).status == 401
    assert client.call("signIn", user=email, **{"pass": "not-the-password"}).status == 429  # the 4th


@pytest.mark.parametrize(
    "first,second",
    [("straße", "strasse"), ("\u212aaren", "karen"), ("\u017fam", "sam")],
    ids=["sharp s", "Kelvin sign", "long s"],
)
def test_two_different_addresses_are_two_accounts(base_url, first, second):
    """casefold() made "straße" "strasse" and the Kelvin sign a "k": one account for two addresses,
    and one person signed in as the other."""
    tail = f"-{uuid.uuid4().hex[:10]}@example.com"
    one, other = first + tail, second + tail
    one_claims = confirmed(base_url, one, "First_password_1")
    other_claims = confirmed(base_url, other, "Other_password_2")
    assert one_claims["sub"] != other_claims["sub"]
    client = Client(base_url)
    assert client.call("signIn", user=one, **{"pass": "Other_password_2"}).status == 401
    assert client.call("signIn", user=other, **{"pass": "First_password_1"}).status == 401
    signed_in = client.call("signIn", user=one, **{"pass": "First_password_1"}).json["access_token"]
    assert client.call("getUser", access_token=signed_in).json["attributes"]["email"] == one


def test_every_spelling_of_an_address_shares_its_budget(limited):
    """Two addresses the pool tells apart may share a per-user budget, never the other way round: the
    key folds every letter case Unicode knows, so no spelling of an account's email escapes its limit."""
    tail = f"-{uuid.uuid4().hex[:10]}@example.com"
    client = Client(limited)
    for spelling in ("\u212aaren" + tail, "KAREN" + tail, "ｋaren" + tail):  # Kelvin sign, ASCII, fullwidth k
        assert client.call("signIn", user=spelling, **{"pass": "not-the-password"}).status == 401
    assert client.call("signIn", user="karen" + tail, **PASS).status == 429
