"""Authenticator-app (TOTP) MFA: QR_init, QR_TOTP and setMfa, with the user's own access token.

The user's token is enough for all three (AssociateSoftwareToken, VerifySoftwareToken and
SetUserMFAPreference are authorised by it), so no admin credentials are involved. The sign-in step
that asks for the code is ``respondToChallenge`` in ``handlers.sign_in``.
"""

from __future__ import annotations

import io
import urllib.parse

import segno

from server.call import Call
from server.errors import ApiError
from server.registry import method
from server.user_names import Email
from handlers.codes import authenticator_code


def otpauth_uri(issuer: str, account: str, secret: str) -> str:
    """The Key URI authenticator apps read: ``otpauth://totp/{issuer}:{account}?secret=...&issuer=...``."""
    label = urllib.parse.quote(issuer, safe="") + ":" + urllib.parse.quote(account, safe="@")
    query = urllib.parse.urlencode({"secret": secret, "issuer": issuer}, quote_via=urllib.parse.quote)
    return f"otpauth://totp/{label}?{query}"


def qr_svg(text: str) -> str:
    """``text`` as a QR code: a standalone SVG with a white background, ready to show as it is."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=4, border=4, xmldecl=False, svgns=True,
                                     light="#fff", title="Scan this with your authenticator app")
    return buffer.getvalue().decode()


@method("QR_init")
async def qr_init(call: Call, access_token: str, user: Email) -> dict:
    """Start setting up an authenticator app: a new secret, its otpauth URI and its QR code. ``user``,
    the account's email (at most 128 characters, which keeps the QR code small), is what the app shows
    beside the code."""
    response = await call.cognito.call("AssociateSoftwareToken", AccessToken=access_token)
    secret = response["SecretCode"]
    uri = otpauth_uri(call.config.app_name, user, secret)
    return {"secret_code": secret, "otpauth_uri": uri, "qr_svg": qr_svg(uri)}


async def set_totp_preference(call: Call, access_token: str, enabled: bool) -> None:
    await call.cognito.call("SetUserMFAPreference", AccessToken=access_token,
                            SoftwareTokenMfaSettings={"Enabled": enabled, "PreferredMfa": enabled})


@method("QR_TOTP")
async def qr_totp(call: Call, access_token: str, totp: str, device_name: str | None = None) -> dict:
    """Finish the set-up with a code from the app, then make TOTP the user's MFA."""
    params = {"FriendlyDeviceName": device_name} if device_name else {}
    response = await call.cognito.call("VerifySoftwareToken", AccessToken=access_token,
                                       UserCode=authenticator_code(totp, "totp"), **params)
    if response.get("Status") != "SUCCESS":
        raise ApiError("CodeMismatch")
    await set_totp_preference(call, access_token, True)
    return {"mfa_enabled": True}


@method("setMfa")
async def set_mfa(call: Call, access_token: str, enabled: bool) -> dict:
    """Turn authenticator-app MFA off, or on again (once the app was set up with QR_TOTP)."""
    await set_totp_preference(call, access_token, enabled)
    return {"mfa_enabled": enabled}
