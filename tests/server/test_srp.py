"""server/srp.py against pycognito's aws_srp, a port of amazon-cognito-identity-js we did not write:
the same group and k, the same padding, the same key from the same values, and the same claim; and
the TIMESTAMP as Cognito writes it."""

from __future__ import annotations

import base64
import datetime
import os

import pytest
from pycognito import aws_srp

from server import srp
from server.config import ConfigError, load_config


def test_the_group_and_k_are_cognitos():
    assert srp.N == aws_srp.hex_to_long(aws_srp.N_HEX) and srp.G == aws_srp.hex_to_long(aws_srp.G_HEX)
    assert srp.K == aws_srp.hex_to_long(aws_srp.hex_hash("00" + aws_srp.N_HEX + "0" + aws_srp.G_HEX))


@pytest.mark.parametrize("number", [0x1, 0xF, 0x7F, 0x80, 0xFF, 0x100, 0x8000, 0x7FFF, 2**255, 2**256 - 1])
def test_padding_is_amazon_cognito_identity_jss(number):
    assert srp.pad_hex(number) == aws_srp.pad_hex(number)


@pytest.mark.parametrize("repeat", range(8))  # random values: each padding case of A, B, S and u comes up
def test_both_sides_derive_the_key_pycognito_derives(repeat):
    """The client's key for a server's challenge is pycognito's for the same a; the server's key
    from the client's A is the same key."""
    name, user, password = "AbC123xYz", "3f1c0d52-0b7e-4c55-9d1b-4d1a7e5b2c10", "I_love_apples"
    salt = srp.new_salt()
    server = srp.ServerSession(srp.verifier(name, user, password, salt))
    client = srp.ClientSession()
    theirs = aws_srp.AWSSRP("sam@example.com", password, f"us-east-1_{name}", "client", client=object())
    theirs.small_a_value, theirs.large_a_value = client.small_a, client.large_a
    key = client.key(name, user, password, f"{salt:x}", f"{server.large_b:x}")
    assert key == bytes(theirs.get_password_authentication_key(user, password, server.large_b, f"{salt:x}"))
    assert server.key(client.large_a) == key
    assert client.key(name, user, "another password", f"{salt:x}", f"{server.large_b:x}") != key


def test_the_claim_is_the_one_pycognito_makes():
    name, user, password = "AbC123xYz", "3f1c0d52-0b7e-4c55-9d1b-4d1a7e5b2c10", "I_love_apples"
    salt = srp.new_salt()
    server = srp.ServerSession(srp.verifier(name, user, password, salt))
    client = srp.ClientSession()
    theirs = aws_srp.AWSSRP("sam@example.com", password, f"us-east-1_{name}", "client", client=object())
    theirs.small_a_value, theirs.large_a_value = client.small_a, client.large_a
    parameters = {
        "SALT": f"{salt:x}",
        "SRP_B": f"{server.large_b:x}",
        "USER_ID_FOR_SRP": user,
        "SECRET_BLOCK": base64.b64encode(os.urandom(64)).decode(),
        "USERNAME": user,
    }
    responses = theirs.process_challenge(parameters, {"USERNAME": "sam@example.com"})
    ours = client.claim(name, user, password, parameters, responses["TIMESTAMP"])
    assert ours == responses["PASSWORD_CLAIM_SIGNATURE"]


def test_a_b_of_zero_is_refused():
    with pytest.raises(ValueError):
        srp.ClientSession().key("p", "u", "pw", "01", f"{srp.N:x}")
    assert srp.ServerSession(5).key(srp.N * 2) is None


def test_the_timestamp_is_cognitos_every_day_of_the_week_and_month():
    """English names (strftime's would follow the locale), the day unpadded, the time in UTC: as
    pycognito writes it, and amazon-cognito-identity-js's DateHelper."""
    start = datetime.datetime(2026, 1, 1, 6, 5, 1, tzinfo=datetime.UTC)
    for days in range(0, 365, 5):
        moment = start + datetime.timedelta(days=days, hours=days % 24)
        naive = moment.replace(tzinfo=None)
        assert srp.cognito_timestamp(moment) == aws_srp.AWSSRP.get_cognito_formatted_timestamp(naive)
    assert (
        srp.cognito_timestamp(datetime.datetime(2026, 12, 2, 6, 5, 1, tzinfo=datetime.UTC))
        == "Wed Dec 2 06:05:01 UTC 2026"
    )
    paris = datetime.timezone(datetime.timedelta(hours=1))
    assert (
        srp.cognito_timestamp(datetime.datetime(2027, 1, 10, 0, 30, 0, tzinfo=paris)) == "Sat Jan 9 23:30:00 UTC 2027"
    )


def test_the_flow_settings_are_checked_at_start_up():
    for name, value in (
        ("SIGN_IN_FLOW", "kerberos"),
        ("LOCAL_COGNITO_AUTH_FLOWS", "CUSTOM_AUTH"),
        ("LOCAL_COGNITO_AUTH_FLOWS", ","),
    ):
        with pytest.raises(ConfigError, match=name):
            load_config({name: value})
    assert load_config({}).sign_in_flow == "auto"
    assert load_config({"SIGN_IN_FLOW": " SRP "}).sign_in_flow == "srp"
    assert load_config({"LOCAL_COGNITO_AUTH_FLOWS": "allow_user_srp_auth"}).local_auth_flows == ("USER_SRP_AUTH",)
