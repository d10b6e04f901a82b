"""The local Cognito's TOTP MFA set-up, and SetUserMFAPreference, as Cognito documents them.

- AssociateSoftwareToken gives each call a fresh random secret, kept as the user's *pending* one;
  VerifySoftwareToken makes it the verified one once a code from it checks out; and
  SetUserMFAPreference turns TOTP MFA on (only with a verified secret) or off (keeping the secret),
  and SMS and email codes too (``mfa_codes.py``).
- Once it is on, a correct password is followed by the SOFTWARE_TOKEN_MFA challenge (``sign_in.py``);
  GetUser and AdminGetUser show it (``UserPool.mfa_settings``).
"""

from __future__ import annotations

from moto.cognitoidp.models import CognitoIdpUser

from local_cognito.faults import CognitoFault, invalid_parameter
from local_cognito.mfa_codes import MfaCodeOperations, given_settings
from local_cognito.mfa_methods import SOFTWARE_TOKEN_MFA
from local_cognito.pool import UserPool
from local_cognito.totp import SoftwareToken, accepted_step, new_secret


class MfaOperations:
    """Setting up TOTP MFA, and turning it on and off."""

    def __init__(self, pool: UserPool, codes: MfaCodeOperations) -> None:
        self.pool = pool
        self.codes = codes  # SMS and email codes (``mfa_codes.py``)

    def _user_setting_up_mfa(self, params: dict) -> CognitoIdpUser:
        if params.get("AccessToken") is None and params.get("Session") is not None:
            # The Session form is for MFA_SETUP challenges, which only pools whose MFA is required
            # send; in this pool MFA is optional, so there is no such session to name.
            raise invalid_parameter(
                "This user pool's MFA is optional: set up a software token with an AccessToken, not a Session."
            )
        return self.pool.user_for_access_token(params.get("AccessToken"))

    def associate_software_token(self, params: dict) -> dict:
        user = self._user_setting_up_mfa(params)
        secret = new_secret()
        self.pool.software_tokens.setdefault(user.id, SoftwareToken()).pending = secret
        self.pool.save()
        return {"SecretCode": secret}

    def verify_software_token(self, params: dict) -> dict:
        user = self._user_setting_up_mfa(params)
        token = self.pool.software_tokens.get(user.id)
        if token is None or token.pending is None:
            raise CognitoFault(
                "SoftwareTokenMFANotFoundException",
                "No software token is associated with this user: call AssociateSoftwareToken first.",
            )
        # A new secret has no used steps yet.
        step = accepted_step(token.pending, params.get("UserCode"), self.pool.clock(), None)
        if step is None:
            raise CognitoFault("EnableSoftwareTokenMFAException", "Code mismatch")
        token.secret, token.pending, token.last_step = token.pending, None, step
        self.pool.save()
        return {"Status": "SUCCESS"}

    def set_user_mfa_preference(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        web_authn = params.get("WebAuthnMfaSettings")
        if isinstance(web_authn, dict) and web_authn.get("Enabled"):
            raise invalid_parameter("WebAuthn MFA is not enabled in this user pool.")
        settings = given_settings(params)
        # Every check before any change: a refusal changes nothing.
        self.codes.check_preferences(user, settings)
        totp = settings.get(SOFTWARE_TOKEN_MFA)
        token = self.pool.software_tokens.get(user.id)
        if totp is not None and totp.get("Enabled") and (token is None or token.secret is None):
            raise invalid_parameter("User has not verified software token mfa")
        if totp is not None and totp.get("Enabled"):
            token.enabled = True
            token.preferred = bool(totp.get("PreferredMfa"))
        elif totp is not None and token is not None:
            # The secret stays: MFA can be turned on again without a new QR code.
            token.enabled = token.preferred = False
        self.codes.apply_preferences(user, settings)
        if settings:
            self.pool.save()
        return {}
