"""MFA: the authenticator app (TOTP: QR_init, QR_TOTP), and setMfa, which turns it or codes by text
message or email on and off, with the user's own access token.

The user's token is enough for all three (AssociateSoftwareToken, VerifySoftwareToken and
SetUserMFAPreference are authorised by it), so no admin credentials are involved. The sign-in step
that asks for the code is ``respondToChallenge`` in ``handlers.sign_in``.
"""

from __future__ import annotations

import io
import urllib.parse
from typing import Annotated

import segno

from server.call import Call
from server.errors import ApiError
from server.registry import FieldCheck, method
from server.user_names import Email
from handlers.codes import authenticator_code
from handlers.sign_in import MFA_CHOICES

# setMfa's methods, and SetUserMFAPreference's settings for each.
MFA_SETTINGS = {"totp": "SoftwareTokenMfaSettings", "sms": "SMSMfaSettings", "email": "EmailMfaSettings"}
# What must be verified before codes can go to it, and the error otherwise.
VERIFIED_FIRST = {"sms": ("phone_number_verified", "PhoneNotVerified"), "email": ("email_verified", "EmailNotVerified")}


def _mfa_method(value: str, field: str) -> str:
    if value not in MFA_SETTINGS:
        raise ApiError("InvalidField", f'The field "{field}" must be "totp", "sms" or "email".', field=field)
    return value


MfaMethod = Annotated[
    str,
    FieldCheck(
        _mfa_method,
        {
            "enum": list(MFA_SETTINGS),
            "description": "totp: an authenticator app; sms: codes by text message; email: codes by email.",
        },
    ),
]


def otpauth_uri(issuer: str, account: str, secret: str) -> str:
    """The Key URI authenticator apps read: ``otpauth://totp/{issuer}:{account}?secret=...&issuer=...``."""
    label = urllib.parse.quote(issuer, safe="") + ":" + urllib.parse.quote(account, safe="@")
    query = urllib.parse.urlencode({"secret": secret, "issuer": issuer}, quote_via=urllib.parse.quote)
    return f"otpauth://totp/{label}?{query}"


def qr_svg(text: str) -> str:
    """``text`` as a QR code: a standalone SVG with a white background, ready to show as it is."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(
        buffer,
        kind="svg",
        scale=4,
        border=4,
        xmldecl=False,
        svgns=True,
        light="#fff",
        title="Scan this with your authenticator app",
    )
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
    await call.cognito.call(
        "SetUserMFAPreference",
        AccessToken=access_token,
        SoftwareTokenMfaSettings={"Enabled": enabled, "PreferredMfa": enabled},
    )


@method("QR_TOTP")
async def qr_totp(call: Call, access_token: str, totp: str, device_name: str | None = None) -> dict:
    """Finish the set-up with a code from the app, then make TOTP the user's MFA."""
    params = {"FriendlyDeviceName": device_name} if device_name else {}
    response = await call.cognito.call(
        "VerifySoftwareToken", AccessToken=access_token, UserCode=authenticator_code(totp, "totp"), **params
    )
    if response.get("Status") != "SUCCESS":
        raise ApiError("CodeMismatch")
    await set_totp_preference(call, access_token, True)
    return {"mfa_enabled": True}


@method("setMfa")
async def set_mfa(
    call: Call, access_token: str, enabled: bool, method: MfaMethod = "totp", preferred: bool = True
) -> dict:
    """Turn one MFA method on or off: ``totp`` (the authenticator app, once set up with QR_TOTP), ``sms``
    (codes by text message, once the phone number is verified) or ``email`` (codes by email, once the
    email is verified). A method turned on becomes the one sign-in asks for, unless ``preferred`` is
    false: then no method is preferred, and with several on, sign-in asks which one (SELECT_MFA_TYPE)."""
    if method == "totp" and preferred:
        await set_totp_preference(call, access_token, enabled)
        return {"mfa_enabled": enabled}
    settings: dict[str, dict] = {}
    if enabled and (method != "totp" or not preferred):
        profile = await call.cognito.call("GetUser", AccessToken=access_token)
        attributes = {a.get("Name"): a.get("Value") for a in profile.get("UserAttributes") or []}
        if method in VERIFIED_FIRST and attributes.get(VERIFIED_FIRST[method][0]) != "true":
            raise ApiError(VERIFIED_FIRST[method][1])
        if not preferred:
            # No method stays preferred: each one on is sent again, not preferred.
            for name in profile.get("UserMFASettingList") or []:
                if name in MFA_CHOICES:  # Cognito's name of a method, and ours
                    settings[MFA_SETTINGS[MFA_CHOICES[name]]] = {"Enabled": True, "PreferredMfa": False}
    settings[MFA_SETTINGS[method]] = {"Enabled": enabled, "PreferredMfa": enabled and preferred}
    try:
        await call.cognito.call("SetUserMFAPreference", AccessToken=access_token, **settings)
    except ApiError as error:
        # SetUserMFAPreference's InvalidParameterException (our MfaNotSetUp) for a verified phone
        # number or email can only mean the pool does not offer that method.
        if error.code == "MfaNotSetUp" and method != "totp":
            raise ApiError("MfaMethodUnavailable", field="method") from None
        raise
    return {"mfa_enabled": enabled}
