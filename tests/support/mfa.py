"""Authenticator-app codes for the local Cognito's TOTP, from pyotp, and an account's MFA turned on
through a server's JSON endpoint."""

from __future__ import annotations

import time

import pyotp

from tests.support.http import Client

STEP = 30


def codes_for(secret: str) -> tuple[str, str, str]:
    """Codes for the previous, current and next 30-second steps: three distinct codes the pool
    accepts (it allows one step of clock skew either way, and each step only once). Waits out the
    last seconds of a step so the first code cannot fall out of the window while it is sent."""
    if time.time() % STEP > STEP - 5:
        time.sleep(STEP - time.time() % STEP + 0.1)
    totp, now = pyotp.TOTP(secret), time.time()
    return totp.at(now - STEP), totp.at(now), totp.at(now + STEP)


def set_up_mfa(client: Client, email: str, token: str) -> tuple[str, str, str]:
    """QR_init then QR_TOTP; answers the two codes still unused in the window."""
    setup = client.call("QR_init", access_token=token, user=email)
    assert setup.status == 200, setup.body
    secret = setup.json["secret_code"]
    earlier, current, later = codes_for(secret)
    reply = client.call("QR_TOTP", access_token=token, totp=earlier, device_name="Phone")
    assert (reply.status, reply.json) == (200, {"message": "OK", "mfa_enabled": True})
    return secret, current, later
