"""The local Cognito's SMS and email MFA, as Cognito documents them: choosing them, and the sign-in
challenges they bring.

- SetUserMFAPreference turns SMS_MFA (SMSMfaSettings) and EMAIL_OTP (EmailMfaSettings) on and off and
  sets the preferred method; "Only one factor can be set as preferred". A method the pool does not
  offer (``mfa_methods.py``) is InvalidParameterException, and so is turning one on before the user
  has a verified phone number (SMS) or a verified email (email): codes would go nowhere certain.
- After a correct password, a user with MFA gets the challenge of their preferred method, or of
  their only one; "If multiple options are activated and no preference is set, a challenge to choose
  an MFA option will be returned during sign-in": SELECT_MFA_TYPE, whose ``MFAS_CAN_CHOOSE`` lists
  them (JSON), answered with ``ANSWER``; the chosen method's challenge follows in a new session.
- SMS_MFA and EMAIL_OTP send a six-digit code (LOCAL_COGNITO_CODE pins it) to the console log, "SMS
  to ..." or "Email to ...", and name where it went in the challenge's ``CODE_DELIVERY_DELIVERY_MEDIUM``
  and ``CODE_DELIVERY_DESTINATION`` (masked). The answer is ``SMS_MFA_CODE`` or ``EMAIL_OTP_CODE``.
  The code lives as long as its session (three minutes), and five wrong ones spend the session.
"""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING, Any

from moto.cognitoidp.models import CognitoIdpUser

from local_cognito.faults import CognitoFault, invalid_parameter
from local_cognito.mfa_methods import (
    ANSWER_NAMES,
    EMAIL_OTP,
    SMS_MFA,
    SOFTWARE_TOKEN_MFA,
    methods_on,
    preferred_method,
    send_sms,
    sms_delivery,
)
from local_cognito.pool import AuthSession, UserPool
from local_cognito.user_extras import mfa_choices

if TYPE_CHECKING:
    from local_cognito.sign_in import SignInOperations

SELECT_MFA_TYPE = "SELECT_MFA_TYPE"
CODE_CHALLENGES = {SMS_MFA: "SMS_MFA_CODE", EMAIL_OTP: "EMAIL_OTP_CODE"}
# SetUserMFAPreference's settings for the methods this module keeps, and the user's record's key.
SETTINGS = {SMS_MFA: ("SMSMfaSettings", "sms"), EMAIL_OTP: ("EmailMfaSettings", "email")}
ALL_SETTINGS = {
    SOFTWARE_TOKEN_MFA: "SoftwareTokenMfaSettings",
    SMS_MFA: "SMSMfaSettings",
    EMAIL_OTP: "EmailMfaSettings",
}


def given_settings(params: dict) -> dict[str, dict]:
    """SetUserMFAPreference's settings, by method, each checked to be an object."""
    found = {}
    for method, key in ALL_SETTINGS.items():
        settings = params.get(key)
        if settings is None:
            continue
        if not isinstance(settings, dict):
            raise invalid_parameter(f"{key} must be an object.")
        found[method] = settings
    if sum(bool(settings.get("PreferredMfa")) for settings in found.values()) > 1:
        raise invalid_parameter("Only one MFA method can be set as preferred.")
    return found


class MfaCodeOperations:
    """SMS and email codes: the user's choice of them, and their sign-in challenges."""

    def __init__(self, pool: UserPool, sign_in: SignInOperations) -> None:
        self.pool = pool
        self.sign_in = sign_in

    # --- SetUserMFAPreference ------------------------------------------------------------------

    def check_preferences(self, user: CognitoIdpUser, settings: dict[str, dict]) -> None:
        """Refuses what the pool or the user's attributes do not allow; changes nothing."""
        for method, given in settings.items():
            if not given.get("Enabled"):
                continue
            if method not in self.pool.mfa_methods_allowed:
                what = {SMS_MFA: "SMS", EMAIL_OTP: "Email", SOFTWARE_TOKEN_MFA: "Software token"}[method]
                raise invalid_parameter(f"{what} MFA is not enabled in this user pool.")
            # Cognito's words for a user with nowhere to send the codes.
            if method == SMS_MFA and user.attribute_lookup.get("phone_number_verified") != "true":
                raise invalid_parameter("User does not have delivery config set to turn on SMS_MFA")
            if method == EMAIL_OTP and user.attribute_lookup.get("email_verified") != "true":
                raise invalid_parameter("User does not have delivery config set to turn on EMAIL_OTP")

    def apply_preferences(self, user: CognitoIdpUser, settings: dict[str, dict]) -> None:
        """Turns SMS and email codes on or off; a preferred method (any of the three) becomes the
        only preferred one, and a method turned off or no longer preferred is no longer preferred."""
        choices = mfa_choices(user)
        for method, (_, key) in SETTINGS.items():
            given = settings.get(method)
            if given is None:
                continue
            choices[key] = bool(given.get("Enabled"))
            if not choices[key]:
                del choices[key]
            if choices.get("preferred") == method and not (given.get("Enabled") and given.get("PreferredMfa")):
                del choices["preferred"]
        preferred = next(
            (m for m, given in settings.items() if given.get("PreferredMfa") and given.get("Enabled")), None
        )
        if preferred is None:
            return
        token = self.pool.software_tokens.get(user.id)
        if preferred == SOFTWARE_TOKEN_MFA:
            choices.pop("preferred", None)
        else:
            choices["preferred"] = preferred
            if token is not None:
                token.preferred = False

    # --- the sign-in challenges ----------------------------------------------------------------

    def challenge_after_password(self, user: CognitoIdpUser) -> dict | None:
        """The MFA challenge a correct password leads to, or None when the user has no MFA."""
        methods = methods_on(self.pool, user)
        if not methods:
            return None
        chosen = preferred_method(self.pool, user) or (methods[0] if len(methods) == 1 else None)
        if chosen is not None:
            return self.start(user, chosen)
        answer = self.sign_in.start_challenge(user, SELECT_MFA_TYPE, {"MFAS_CAN_CHOOSE": json.dumps(methods)})
        self.pool.auth_sessions[answer["Session"]].choices = tuple(methods)
        return answer

    def start(self, user: CognitoIdpUser, method: str) -> dict:
        """The challenge of ``method``; for SMS and email, with a new code sent."""
        if method == SOFTWARE_TOKEN_MFA:
            return self.sign_in.start_challenge(user, SOFTWARE_TOKEN_MFA, {})
        code = self.pool.new_code()
        if method == SMS_MFA:
            number = user.attribute_lookup.get("phone_number", "")
            send_sms(self.pool, number, "your sign-in code is %s", code)
            delivery = sms_delivery(number)
        else:
            email = user.attribute_lookup.get("email", "")
            self.pool.send_email(email, "your sign-in code is %s", code)
            delivery = self.pool.delivery(email)
        answer = self.sign_in.start_challenge(
            user,
            method,
            {
                "CODE_DELIVERY_DELIVERY_MEDIUM": delivery["DeliveryMedium"],
                "CODE_DELIVERY_DESTINATION": delivery["Destination"],
            },
        )
        self.pool.auth_sessions[answer["Session"]].code = code
        return answer

    def answer(self, user: CognitoIdpUser, session: AuthSession, name: str, responses: dict) -> dict:
        """RespondToAuthChallenge for SELECT_MFA_TYPE, SMS_MFA and EMAIL_OTP."""
        if name == SELECT_MFA_TYPE:
            chosen = ANSWER_NAMES.get(responses.get("ANSWER"))  # type: ignore[arg-type]
            if chosen is None or chosen not in session.choices:
                raise invalid_parameter("ANSWER must be one of the MFA types in MFAS_CAN_CHOOSE.")
            session.spent = True
            return self.start(user, chosen)
        self.check_code(session, name, responses.get(CODE_CHALLENGES[name]))
        return self.pool.complete_sign_in(user)

    def check_code(self, session: AuthSession, name: str, given: Any) -> None:
        """Accepts the code the challenge sent (spending the session), or raises."""
        if not isinstance(given, str) or not given:
            raise invalid_parameter(f"Missing required parameter {CODE_CHALLENGES[name]}")
        if session.code is None or not hmac.compare_digest(session.code.encode(), given.encode()):
            session.failures += 1
            raise CognitoFault("CodeMismatchException", "Invalid code or auth state for the user.")
        session.spent = True
