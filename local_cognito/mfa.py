"""The local Cognito's TOTP MFA and sign-in challenges, as Cognito documents them.

- AssociateSoftwareToken gives each call a fresh random secret, kept as the user's *pending* one;
  VerifySoftwareToken makes it the verified one once a code from it checks out; and
  SetUserMFAPreference turns TOTP MFA on (only with a verified secret) or off (keeping the secret).
- A correct password is followed by a challenge instead of tokens when the user must first choose a
  password (NEW_PASSWORD_REQUIRED, for users an admin created) or give a TOTP code
  (SOFTWARE_TOKEN_MFA). RespondToAuthChallenge answers it within the session it came with.
- Sessions are random strings kept in memory: they expire after three minutes (Cognito's default
  AuthSessionValidity), are spent by a success or by five wrong codes, and belong to one user.
- A TOTP code is good for its 30-second step and one step either side, and no step is accepted
  twice for the same user (RFC 6238 section 5.2).
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, UserStatus

from local_cognito.faults import CognitoFault, invalid_parameter, not_authorized
from local_cognito.store import hash_password
from local_cognito.totp import SoftwareToken, accepted_step, new_secret

AUTH_SESSION_SECONDS = 180  # Cognito's default AuthSessionValidity: three minutes
SPENT_SESSION_MEMORY_SECONDS = 3600  # how long a used or expired session is still told apart
MAX_MFA_CODE_FAILURES = 5  # wrong codes a session takes before it is spent
SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"
NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"


@dataclasses.dataclass
class AuthSession:
    """A sign-in waiting for the answer to one challenge."""

    sub: str
    challenge: str
    expires: float
    failures: int = 0
    spent: bool = False


class MfaOperations:
    """TOTP MFA set-up and the sign-in challenges; mixed into ``LocalUserPool``, whose state
    (``software_tokens``, ``auth_sessions``, ``temporary_passwords``, ``clock``) and checks it uses."""

    # --- what users see of their MFA ------------------------------------------------------------

    def _mfa_enabled(self, user: CognitoIdpUser) -> bool:
        token = self.software_tokens.get(user.id)
        return bool(token and token.enabled and token.secret)

    def _mfa_settings(self, user: CognitoIdpUser) -> dict:
        """The MFA fields of GetUser and AdminGetUser."""
        if not self._mfa_enabled(user):
            return {"UserMFASettingList": []}
        settings: dict[str, Any] = {"UserMFASettingList": [SOFTWARE_TOKEN_MFA]}
        if self.software_tokens[user.id].preferred:
            settings["PreferredMfaSetting"] = SOFTWARE_TOKEN_MFA
        return settings

    # --- setting up TOTP --------------------------------------------------------------------------

    def _user_setting_up_mfa(self, params: dict) -> CognitoIdpUser:
        if params.get("AccessToken") is None and params.get("Session") is not None:
            # The Session form is for MFA_SETUP challenges, which only pools whose MFA is required
            # send; in this pool MFA is optional, so there is no such session to name.
            raise invalid_parameter("This user pool's MFA is optional: set up a software token "
                                    "with an AccessToken, not a Session.")
        return self._user_for_access_token(params.get("AccessToken"))

    def associate_software_token(self, params: dict) -> dict:
        user = self._user_setting_up_mfa(params)
        secret = new_secret()
        self.software_tokens.setdefault(user.id, SoftwareToken()).pending = secret
        self.save()
        return {"SecretCode": secret}

    def verify_software_token(self, params: dict) -> dict:
        user = self._user_setting_up_mfa(params)
        token = self.software_tokens.get(user.id)
        if token is None or token.pending is None:
            raise CognitoFault("SoftwareTokenMFANotFoundException",
                               "No software token is associated with this user: call "
                               "AssociateSoftwareToken first.")
        # A new secret has no used steps yet.
        step = accepted_step(token.pending, params.get("UserCode"), self.clock(), None)
        if step is None:
            raise CognitoFault("EnableSoftwareTokenMFAException", "Code mismatch")
        token.secret, token.pending, token.last_step = token.pending, None, step
        self.save()
        return {"Status": "SUCCESS"}

    def set_user_mfa_preference(self, params: dict) -> dict:
        user = self._user_for_access_token(params.get("AccessToken"))
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
        token = self.software_tokens.get(user.id)
        if settings.get("Enabled"):
            if token is None or token.secret is None:
                raise invalid_parameter("User has not verified software token mfa")
            token.enabled = True
            token.preferred = bool(settings.get("PreferredMfa"))
        elif token is not None:
            # The secret stays: MFA can be turned on again without a new QR code.
            token.enabled = token.preferred = False
        self.save()
        return {}

    # --- challenges -------------------------------------------------------------------------------

    def _challenge(self, user: CognitoIdpUser, name: str, parameters: dict[str, str]) -> dict:
        now = self.clock()
        self.auth_sessions = {k: s for k, s in self.auth_sessions.items()
                              if s.expires + SPENT_SESSION_MEMORY_SECONDS > now}
        session = secrets.token_urlsafe(96)
        self.auth_sessions[session] = AuthSession(user.id, name, now + AUTH_SESSION_SECONDS)
        return {"ChallengeName": name, "Session": session,
                "ChallengeParameters": dict(parameters, USER_ID_FOR_SRP=user.id)}

    def _after_password(self, user: CognitoIdpUser) -> dict:
        """What a correct (or newly chosen) password leads to: the TOTP challenge, or tokens."""
        if self._mfa_enabled(user):
            return self._challenge(user, SOFTWARE_TOKEN_MFA, {})
        return self._sign_in(user)

    def _new_password_challenge(self, user: CognitoIdpUser) -> dict:
        """For a user an admin created, who signed in with the temporary password."""
        expires = self.temporary_passwords.get(user.id)
        if expires is not None and expires <= self.clock():
            raise not_authorized("Temporary password has expired and must be reset by an administrator.")
        attributes = {k: v for k, v in user.attribute_lookup.items() if k != "sub"}
        return self._challenge(user, NEW_PASSWORD_REQUIRED, {
            "requiredAttributes": "[]", "userAttributes": json.dumps(attributes)})

    def _open_session(self, session: Any) -> AuthSession:
        record = self.auth_sessions.get(session) if isinstance(session, str) else None
        if record is None or record.failures >= MAX_MFA_CODE_FAILURES:
            raise not_authorized("Invalid session for the user.")
        if record.spent:
            raise not_authorized("Invalid session for the user, session can only be used once.")
        if record.expires <= self.clock():
            raise not_authorized("Invalid session for the user, session is expired.")
        return record

    def respond_to_auth_challenge(self, params: dict) -> dict:
        self._check_client(params)
        name = params.get("ChallengeName")
        if name not in (SOFTWARE_TOKEN_MFA, NEW_PASSWORD_REQUIRED):
            raise invalid_parameter(f"The local Cognito does not send the challenge {name}.")
        session = self._open_session(params.get("Session"))
        if name != session.challenge:
            raise invalid_parameter(f"This session is for the {session.challenge} challenge, not {name}.")
        responses = params.get("ChallengeResponses")
        if not isinstance(responses, dict) or not isinstance(responses.get("USERNAME"), str):
            raise invalid_parameter("Missing required parameter USERNAME")
        username = responses["USERNAME"]
        # Cognito's clients send USER_ID_FOR_SRP (the sub) here; the email names the user too. The
        # hash must be computed on whichever was sent.
        self._check_secret_hash({"SecretHash": responses.get("SECRET_HASH")}, username)
        user = self.pool.users.get(session.sub)
        if user is None or self._find_user(username) is not user:
            raise not_authorized("Invalid session for the user.")
        if not user.enabled:
            session.spent = True
            raise not_authorized("User is disabled.")
        if name == SOFTWARE_TOKEN_MFA:
            result = self._answer_totp(user, session, responses.get("SOFTWARE_TOKEN_MFA_CODE"))
        else:
            result = self._answer_new_password(user, session, responses.get("NEW_PASSWORD"))
        self.save()
        return result

    def _answer_totp(self, user: CognitoIdpUser, session: AuthSession, code: Any) -> dict:
        self._check_totp_answer(user, session, code)
        return self._sign_in(user)

    def _check_totp_answer(self, user: CognitoIdpUser, session: AuthSession, code: Any) -> None:
        """Accepts the code (and spends its time step and the session), or raises; the hosted UI
        shares it with RespondToAuthChallenge."""
        if not isinstance(code, str) or not code:
            raise invalid_parameter("Missing required parameter SOFTWARE_TOKEN_MFA_CODE")
        token = self.software_tokens.get(user.id)
        if token is None or token.secret is None or not token.enabled:
            session.spent = True  # MFA was turned off since the challenge: sign in again
            raise CognitoFault("SoftwareTokenMFANotFoundException",
                               "Software token MFA is not enabled for this user.")
        step = accepted_step(token.secret, code, self.clock(), token.last_step)
        if step is None:
            session.failures += 1
            raise CognitoFault("CodeMismatchException", "Invalid code received for user")
        token.last_step = step
        session.spent = True

    def _answer_new_password(self, user: CognitoIdpUser, session: AuthSession, password: Any) -> dict:
        self._set_new_password(user, session, password)
        return self._after_password(user)

    def _set_new_password(self, user: CognitoIdpUser, session: AuthSession, password: Any) -> None:
        """The password chosen in answer to NEW_PASSWORD_REQUIRED, checked against the policy; the
        hosted UI shares it with RespondToAuthChallenge."""
        if password is None:
            raise invalid_parameter("Missing required parameter NEW_PASSWORD")
        self._check_password_policy(password)
        user.password = hash_password(password)
        user.status = UserStatus.CONFIRMED
        user.last_modified_date = self._now()
        self.temporary_passwords.pop(user.id, None)
        session.spent = True
