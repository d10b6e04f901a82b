"""The MFA methods of the local pool, and what a user has chosen among them.

Cognito's three MFA methods for a sign-in with a password: SOFTWARE_TOKEN_MFA (an authenticator
app, ``mfa.py``), SMS_MFA (a code by text message) and EMAIL_OTP (a code by email; Cognito's
EmailMfaSettings). The pool offers those start-up allows (``LOCAL_COGNITO_MFA_METHODS``): on AWS,
SMS_MFA needs the pool's SmsConfiguration (an IAM role for Amazon SNS) and EMAIL_OTP its
EmailMfaConfiguration, which needs the Essentials plan or higher and email sent through Amazon SES.

A user's choices of SMS and email codes, and which method they prefer, are kept in their record
(``user_extras.mfa_choices``; ``mfa`` in ``user_table.py``); the authenticator app's, with its
secret (``software_tokens``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool

from local_cognito.transaction import mail_log
from local_cognito.user_extras import mfa_choices
from server.logs import printable

if TYPE_CHECKING:
    from local_cognito.pool import UserPool

SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"  # Cognito's name for TOTP MFA, in settings and challenges
SMS_MFA = "SMS_MFA"
EMAIL_OTP = "EMAIL_OTP"
MFA_METHODS = (SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP)  # in the order GetUser lists them
# SELECT_MFA_TYPE's ANSWER for email codes: Cognito's reference writes EMAIL_MFA there, and the
# challenge that follows is EMAIL_OTP; both are taken.
ANSWER_NAMES = {SMS_MFA: SMS_MFA, SOFTWARE_TOKEN_MFA: SOFTWARE_TOKEN_MFA, EMAIL_OTP: EMAIL_OTP, "EMAIL_MFA": EMAIL_OTP}
# UpdateUserAttributes' ways with a new email (``attribute_updates.py``): held until it is verified
# (the pool's AttributesRequireVerificationBeforeUpdate), changed at once and unverified, or refused
# (the app client's WriteAttributes leave the email out).
EMAIL_UPDATES = ("verify-first", "immediate", "off")


def configured_features(
    pool: CognitoIdpUserPool, email_updates: str, methods: tuple[str, ...]
) -> tuple[str, frozenset[str]]:
    """Checks the settings and writes them into moto's record of the pool, as Cognito names them."""
    if email_updates not in EMAIL_UPDATES or not set(methods) <= set(MFA_METHODS):
        raise ValueError("unknown email update setting or MFA method")
    config = pool.extended_config
    config["UserAttributeUpdateSettings"] = {
        "AttributesRequireVerificationBeforeUpdate": ["email"] if email_updates == "verify-first" else []
    }
    config["AutoVerifiedAttributes"] = ["email", "phone_number"] if SMS_MFA in methods else ["email"]
    pool.token_mfa_config = {"Enabled": SOFTWARE_TOKEN_MFA in methods}
    return email_updates, frozenset(methods)


def methods_on(pool: UserPool, user: CognitoIdpUser) -> list[str]:
    """The MFA methods on for ``user``, in GetUser's order."""
    choices = mfa_choices(user)
    on = {
        SOFTWARE_TOKEN_MFA: pool.mfa_enabled(user),
        SMS_MFA: bool(choices.get("sms")),
        EMAIL_OTP: bool(choices.get("email")),
    }
    return [method for method in MFA_METHODS if on[method]]


def preferred_method(pool: UserPool, user: CognitoIdpUser) -> str | None:
    """The method the user prefers, if it is on."""
    methods = methods_on(pool, user)
    if SOFTWARE_TOKEN_MFA in methods and pool.software_tokens[user.id].preferred:
        return SOFTWARE_TOKEN_MFA
    preferred = mfa_choices(user).get("preferred")
    return preferred if preferred in methods else None


def send_sms(pool: UserPool, number: str, text: str, *arguments: Any) -> None:
    """ "Text" ``text`` % ``arguments`` to ``number``: to the console log, like the pool's emails, once
    the transaction commits."""
    text, arguments = "SMS to %s: " + text, (printable(number), *arguments)
    if pool.open_transaction is not None:
        pool.open_transaction.emails.append((text, arguments))
    else:
        mail_log.warning(text, *arguments)


def sms_delivery(number: str) -> dict:
    """Where a text message went, masked as Cognito masks a number: all but its last four digits."""
    return {
        "Destination": "+" + "*" * max(len(number) - 5, 0) + number[-4:],
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }
