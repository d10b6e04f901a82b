"""What the tests of our server against moto's own server (tests/moto_server/) share: accounts made
and signed in through our JSON endpoint, authenticator codes for moto's secret, the shape of a clean
error, and how moto answers an operation it lacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
import uuid

from tests.support.accounts import PASSWORD
from tests.support.http import Client
from tests.support.moto_server import MotoServer

NEW_PASSWORD = "I_love_pears_now"
TEMPORARY_PASSWORD = "Temporary_pass_1"  # an invitation's (adminCreateUser's temp_pass)
ANY_CODE = "000000"  # moto's ConfirmSignUp takes any code (test_moto_gap_confirmation_codes_are_not_checked)


def new_email(tag: str = "person") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def signed_up(base_url: str, email: str | None = None) -> tuple[Client, str, dict]:
    """A confirmed account, signed in: (its client with the refresh cookie, email, confirmAccount's answer)."""
    client, email = Client(base_url), email or new_email()
    reply = client.call("createAccount", user=email, nickname="Sam", **{"pass": PASSWORD})
    assert reply.status == 200, reply.body
    reply = client.call("confirmAccount", user=email, conf_code=ANY_CODE, **{"pass": PASSWORD})
    assert reply.status == 200, reply.body
    return client, email, reply.json


def sign_in(base_url: str, email: str, password: str = PASSWORD) -> dict:
    reply = Client(base_url).call("signIn", user=email, **{"pass": password})
    assert reply.status == 200, reply.body
    return reply.json


def assert_clean_error(reply, status: int | None = None, code: str | None = None) -> str:
    """A JSON error with a code and a sentence: never a 500, an HTML page or moto's own words."""
    assert reply.headers["Content-Type"].startswith("application/json"), reply.body
    body = reply.json
    assert isinstance(body.get("error"), str) and body["error"] and body.get("message"), body
    assert 400 <= reply.status < 600 and reply.status != 500, (reply.status, body)
    assert b"<" not in reply.body and b"Internal Server Error" not in reply.body
    assert status is None or reply.status == status, (reply.status, body)
    assert code is None or body["error"] == code, body
    return body["error"]


def assert_clean_error_body(error: dict, code: str) -> None:
    """An error told inside a successful answer (signOut's ``revoke_error``): our code and our
    sentence, never moto's words or its HTML."""
    assert error["error"] == code and error["message"], error
    assert "<" not in error["message"] and "moto" not in error["message"].lower(), error


def assert_moto_lacks(moto: MotoServer, operation: str) -> None:
    """moto 5.2.5 answers an operation it does not implement with HTTP 500 and an HTML page."""
    answer = moto.raw_call(operation, {})
    assert answer.status == 500 and answer.headers["Content-Type"].startswith("text/html")
    assert b"Internal Server Error" in answer.read()


def totp_at(secret: str, when: float) -> str:
    """RFC 6238's code (SHA-1, 6 digits, 30-second steps) written out: pyotp refuses moto's secret,
    which is shorter than RFC 4226's 128-bit minimum."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(when // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def totp_code(secret: str) -> str:
    """The current code, taken at least 3 seconds before its 30-second step ends: moto accepts the
    current step's code only (no clock skew either side)."""
    left = 30 - time.time() % 30
    if left < 3:
        time.sleep(left + 0.2)
    return totp_at(secret, time.time())


def wrong_code(secret: str) -> str:
    right = {totp_at(secret, time.time() + step * 30) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in right)


def with_authenticator(base_url: str) -> tuple[str, str]:
    """A confirmed account with authenticator-app MFA on: (email, the app's secret)."""
    client, email, tokens = signed_up(base_url)
    reply = client.call("QR_init", access_token=tokens["access_token"], user=email)
    assert reply.status == 200, reply.body
    secret = reply.json["secret_code"]
    reply = client.call("QR_TOTP", access_token=tokens["access_token"], totp=totp_code(secret))
    assert reply.status == 200 and reply.json["mfa_enabled"] is True, reply.body
    return email, secret


def mfa_step(base_url: str, email: str) -> tuple[Client, str]:
    client = Client(base_url)
    reply = client.call("signIn", user=email, **{"pass": PASSWORD})
    assert reply.status == 200 and reply.json["message"] == "MFA_REQUIRED", reply.body
    assert reply.json["challenge"] == "SOFTWARE_TOKEN_MFA" and "access_token" not in reply.json
    return client, reply.json["session"]
