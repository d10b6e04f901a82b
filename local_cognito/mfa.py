"""The local Cognito's TOTP MFA set-up, as Cognito documents it.

- AssociateSoftwareToken gives each call a fresh random secret, kept as the user's *pending* one;
  VerifySoftwareToken makes it the verified one once a code from it checks out; and
  SetUserMFAPreference turns TOTP MFA on (only with a verified secret) or off (keeping the secret).
- Once it is on, a correct password is followed by the SOFTWARE_TOKEN_MFA challenge (``sign_in.py``);
  GetUser and AdminGetUser show it (``UserPool.mfa_settings``).
"""

from __future__ import annotations

from moto.cognitoidp.models import CognitoIdpUser

from local_cognito.faults import CognitoFault, invalid_parameter
from local_cognito.pool import UserPool
from local_cognito.totp import SoftwareToken, accepted_step, new_secret


class MfaOperations:
    """Setting up TOTP MFA, and turning it on and off."""

    def __init__(self, pool: UserPool) -> None:
        self.pool = pool

    def _user_setting_up_mfa(self, params: dict) -> CognitoIdpUser:
        if params.get("AccessToken") is None and params.get("Session") is not None:
            # The Session form is for MFA_SETUP challenges, which only pools whose MFA is required
            # send; in this pool MFA is optional, so there is no such session to name.
            raise invalid_parameter("This user pool's MFA is optional: set up a software token "
                                    "with an AccessToken, not a Session.")
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
            raise CognitoFault("SoftwareTokenMFANotFoundException",
                               "No software token is associated with this user: call "
                               "AssociateSoftwareToken first.")
        # A new secret has no used steps yet.
        step = accepted_step(token.pending, params.get("UserCode"), self.pool.clock(), None)
        if step is None:
            raise CognitoFault("EnableSoftwareTokenMFAException", "Code mismatch")
        token.secret, token.pending, token.last_step = token.pending, None, step
        self.pool.save()
        return {"Status": "SUCCESS"}

    def set_user_mfa_preference(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        for other, what in (("SMSMfaSettings", "SMS"), ("EmailMfaSettings", "Email"),
                            ("WebAuthnMfaSettings", "WebAuthn")):
            if isinstance(params.get(other), dict) and params[other].get("Enabled"):
                raise invalid_parameter(f"{what} MFA is not enabled in this user pool: only software "
                                        "token MFA is.")
        settings = params.get("SoftwareTokenMfaSettings")
        if settings is None:
            return {}
        if not isinstance(settings, dict):
            raise invalid_parameter("SoftwareTokenMfaSettings must be an object.")
        token = self.pool.software_tokens.get(user.id)
        if settings.get("Enabled"):
            if token is None or token.secret is None:
                raise invalid_parameter("User has not verified software token mfa")
            token.enabled = True
            token.preferred = bool(settings.get("PreferredMfa"))
        elif token is not None:
            # The secret stays: MFA can be turned on again without a new QR code.
            token.enabled = token.preferred = False
        self.pool.save()
        return {}
