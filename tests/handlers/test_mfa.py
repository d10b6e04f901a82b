"""Authenticator-app MFA over real HTTP against the local Cognito, with real TOTP codes from pyotp."""

from __future__ import annotations

import time
import urllib.parse

import pyotp
import pytest

from handlers.mfa import otpauth_uri
from tests.support import PASSWORD, Client
from tests.support.mfa import STEP, set_up_mfa

PASS = {"pass": PASSWORD}


def challenge_of(client: Client, email: str) -> str:
    reply = client.call("signIn", user=email, **PASS)
    assert reply.status == 200, reply.body
    assert reply.json["message"] == "MFA_REQUIRED" and reply.json["challenge"] == "SOFTWARE_TOKEN_MFA"
    assert "access_token" not in reply.json and reply.set_cookies() == []
    return reply.json["session"]


def test_qr_init_answers_the_secret_the_uri_and_a_qr_code(signed_in):
    client, email, answer = signed_in
    reply = client.call("QR_init", access_token=answer["access_token"], user=email)
    assert reply.status == 200
    secret, uri, svg = reply.json["secret_code"], reply.json["otpauth_uri"], reply.json["qr_svg"]
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    parsed = pyotp.parse_uri(uri)  # what an authenticator app reads
    assert (parsed.secret, parsed.issuer, parsed.name) == (secret, "Photos", email)  # the page's name, by default
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.rstrip().endswith("</svg>")
    # Each call makes a new secret; two users never share one.
    assert client.call("QR_init", access_token=answer["access_token"], user=email).json["secret_code"] != secret


@pytest.mark.parametrize("user", ["not an email", "x" * 120 + "@example.com", ""])
def test_qr_init_wants_the_accounts_email_as_label(signed_in, user):
    client, _, answer = signed_in
    reply = client.call("QR_init", access_token=answer["access_token"], user=user)
    assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "InvalidField", "user")


def test_the_otpauth_uri_encodes_issuer_and_account():
    uri = otpauth_uri("Photo Share: Dev & Test", "sam+mfa@example.com", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert uri.startswith("otpauth://totp/Photo%20Share%3A%20Dev%20%26%20Test:sam%2Bmfa@example.com?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)
    assert query == {"secret": ["JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"], "issuer": ["Photo Share: Dev & Test"]}
    parsed = pyotp.parse_uri(uri)
    assert (parsed.issuer, parsed.name) == ("Photo Share: Dev & Test", "sam+mfa@example.com")


def test_the_whole_mfa_round_trip(signed_in, base_url):
    client, email, answer = signed_in
    secret, current, later = set_up_mfa(client, email, answer["access_token"])
    info = client.call("getUser", access_token=answer["access_token"]).json
    assert info["username"]  # still signed in after turning MFA on
    assert client.call("signOut").status == 200

    browser = Client(base_url)
    session = challenge_of(browser, email)
    wrong = browser.call(
        "respondToChallenge", user=email, session=session, totp="000000" if current != "000000" else "111111"
    )
    assert (wrong.status, wrong.json["error"]) == (400, "CodeMismatch")
    reply = browser.call("respondToChallenge", user=email, session=session, totp=current[:3] + " " + current[3:])
    assert reply.status == 200, reply.body
    assert {"access_token", "id_token", "expires_in"} <= set(reply.json)
    assert any(c.startswith("__Host-refresh=") for c in reply.set_cookies())
    assert browser.call("refresh").status == 200  # the session is a normal one from here on
    # The challenge's session is spent.
    again = browser.call("respondToChallenge", user=email, session=session, totp=later)
    assert (again.status, again.json["error"]) == (401, "ChallengeExpired")
    # The same step's code cannot sign in twice.
    replay = browser.call("respondToChallenge", session=challenge_of(browser, email), totp=current)
    assert (replay.status, replay.json["error"]) == (400, "CodeMismatch")
    assert browser.call("respondToChallenge", session=challenge_of(browser, email), totp=later).status == 200


def test_stale_and_malformed_codes_are_refused(signed_in):
    client, email, answer = signed_in
    secret = client.call("QR_init", access_token=answer["access_token"], user=email).json["secret_code"]
    stale = pyotp.TOTP(secret).at(time.time() - 4 * STEP)
    reply = client.call("QR_TOTP", access_token=answer["access_token"], totp=stale)
    assert (reply.status, reply.json["error"]) == (400, "CodeMismatch")
    for bad in ("12345", "1234567", "12a456", ""):
        reply = client.call("QR_TOTP", access_token=answer["access_token"], totp=bad)
        assert (reply.status, reply.json["error"], reply.json.get("field")) == (400, "InvalidField", "totp")
    # Nothing was turned on by the failures.
    assert client.call("signIn", user=email, **PASS).json["message"] == "OK"


def test_an_expired_or_forged_challenge_session_is_401(signed_in, local_pool):
    client, email, answer = signed_in
    _, current, _ = set_up_mfa(client, email, answer["access_token"])
    session = challenge_of(client, email)
    forged = session[:-6] + ("AAAAAA" if not session.endswith("AAAAAA") else "BBBBBB")
    reply = client.call("respondToChallenge", session=forged, totp=current)
    assert (reply.status, reply.json["error"]) == (401, "ChallengeExpired")
    pool = local_pool[0].pool
    real_clock = pool.clock
    pool.clock = lambda: real_clock() + 4 * 60  # Cognito's challenge sessions last 3 minutes
    try:
        reply = client.call("respondToChallenge", session=session, totp=current)
    finally:
        pool.clock = real_clock
    assert (reply.status, reply.json["error"]) == (401, "ChallengeExpired")


def test_answers_that_do_not_fit_the_step_are_refused(signed_in):
    client, email, answer = signed_in
    _, current, _ = set_up_mfa(client, email, answer["access_token"])
    session = challenge_of(client, email)
    reply = client.call("respondToChallenge", session=session)
    assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "MissingField", "totp")
    reply = client.call("respondToChallenge", session=session, totp=current, new_pass="Another_password")
    assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "InvalidField", "new_pass")
    assert client.call("respondToChallenge", session=session, totp=current).status == 200


def test_mfa_can_be_turned_off_and_on_again(signed_in):
    client, email, answer = signed_in
    token = answer["access_token"]
    mfa_state = lambda: {  # noqa: E731
        k: v for k, v in client.call("getUser", access_token=token).json.items() if k.startswith("mfa_")
    }
    assert mfa_state() == {"mfa_enabled": False, "mfa_methods": [], "mfa_preferred": None}
    set_up_mfa(client, email, token)
    assert mfa_state() == {
        "mfa_enabled": True,
        "mfa_methods": ["SOFTWARE_TOKEN_MFA"],  # getUser says codes are on
        "mfa_preferred": "SOFTWARE_TOKEN_MFA",
    }
    assert client.call("setMfa", access_token=token, enabled=False).json == {"message": "OK", "mfa_enabled": False}
    assert mfa_state() == {"mfa_enabled": False, "mfa_methods": [], "mfa_preferred": None}
    reply = client.call("signIn", user=email, **PASS)
    assert reply.json["message"] == "OK" and "access_token" in reply.json
    assert client.call("setMfa", access_token=token, enabled=True).status == 200
    challenge_of(client, email)  # the same app works again: no new QR code needed


def test_mfa_cannot_be_turned_on_before_an_app_is_set_up(signed_in):
    client, _, answer = signed_in
    reply = client.call("setMfa", access_token=answer["access_token"], enabled=True)
    assert (reply.status, reply.json["error"]) == (400, "MfaNotSetUp")
    reply = client.call("setMfa", access_token=answer["access_token"], enabled="yes")
    assert (reply.status, reply.json["error"]) == (400, "InvalidField")


@pytest.mark.parametrize(
    "method, fields",
    [("QR_init", {"user": "x@example.com"}), ("QR_TOTP", {"totp": "123456"}), ("setMfa", {"enabled": True})],
)
def test_mfa_methods_need_a_valid_access_token(client, method, fields):
    reply = client.call(method, access_token="not-a-token", **fields)
    assert (reply.status, reply.json["error"]) == (401, "NotAuthorized")
    assert "access token" in reply.json["message"]
