"""The local Cognito's sign-in and sign-out operations, with the challenges Cognito documents.

InitiateAuth (USER_PASSWORD_AUTH; USER_SRP_AUTH and its PASSWORD_VERIFIER step, which ``srp.py``
answers; and REFRESH_TOKEN_AUTH, which ``refresh_tokens.py`` answers), RespondToAuthChallenge and
GlobalSignOut. A flow the app client does not enable (its
ExplicitAuthFlows) is refused as Cognito refuses it: InvalidParameterException, "... flow not
enabled for this client".

- A correct password is followed by a challenge instead of tokens when the user must first choose a
  password (NEW_PASSWORD_REQUIRED, for users an admin created) or give a TOTP code
  (SOFTWARE_TOKEN_MFA), an SMS or email code (SMS_MFA, EMAIL_OTP), or choose among them
  (SELECT_MFA_TYPE): see ``mfa_codes.py``. RespondToAuthChallenge answers it within the session it came with.
  NEW_PASSWORD_REQUIRED lists the required attributes the user lacks, which the answer must give
  (``schema.py``).
- Sessions are random strings kept in memory: they expire after three minutes (Cognito's default
  AuthSessionValidity), are spent by a success or by five wrong codes, and belong to one user.
- A TOTP code is good for its 30-second step and one step either side, and no step is accepted
  twice for the same user (RFC 6238 section 5.2).

The hosted UI signs in with the same steps (``oauth/hosted_sign_in.py``): it starts and answers
challenges through ``start_challenge``, ``new_password_challenge``, ``open_session``,
``check_totp_answer`` and ``set_new_password``.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from moto.cognitoidp.models import CognitoIdpUser, UserStatus

from local_cognito.faults import CognitoFault, invalid_parameter, not_authorized
from local_cognito.pool import SOFTWARE_TOKEN_MFA, AuthSession, UserPool
from local_cognito.refresh_tokens import RefreshTokenOperations
from local_cognito.schema import new_password_attributes, required_attributes_parameter
from local_cognito.srp import PASSWORD_VERIFIER, SrpSignIn, keep_verifier
from local_cognito.devices import DEVICE_CHALLENGES
from local_cognito.mfa_methods import methods_on
from local_cognito.totp import accepted_step

if TYPE_CHECKING:
    from local_cognito.devices import DeviceOperations
    from local_cognito.mfa_codes import MfaCodeOperations

AUTH_SESSION_SECONDS = 180  # Cognito's default AuthSessionValidity: three minutes
SPENT_SESSION_MEMORY_SECONDS = 3600  # how long a used or expired session is still told apart
MAX_MFA_CODE_FAILURES = 5  # wrong codes a session takes before it is spent
NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"
# The challenges of SMS and email MFA, and the choice among methods (``mfa_codes.py``).
MFA_CODE_CHALLENGES = ("SMS_MFA", "EMAIL_OTP", "SELECT_MFA_TYPE")
# The app client's ExplicitAuthFlows setting that lets it use each InitiateAuth flow.
FLOW_SETTINGS = {
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
}


def checked_responses(pool: UserPool, params: dict, challenge: str) -> tuple[dict, str]:
    """The ChallengeResponses of an answer to a session's ``challenge``, and the USERNAME they name,
    whose SECRET_HASH is checked. Cognito's clients send USER_ID_FOR_SRP (the sub) as USERNAME; the
    email names the user too, and the hash must be computed on whichever was sent."""
    name = params.get("ChallengeName")
    if name != challenge:
        raise invalid_parameter(f"This session is for the {challenge} challenge, not {str(name)[:32]}.")
    responses = params.get("ChallengeResponses")
    if not isinstance(responses, dict) or not isinstance(responses.get("USERNAME"), str):
        raise invalid_parameter("Missing required parameter USERNAME")
    username = responses["USERNAME"]
    pool.check_secret_hash({"SecretHash": responses.get("SECRET_HASH")}, username)
    return responses, username


class SignInOperations:
    """Signing in (with its challenges) and signing out."""

    def __init__(self, pool: UserPool, refresh: RefreshTokenOperations) -> None:
        self.pool = pool
        self.refresh = refresh
        self.mfa_codes: MfaCodeOperations | None = None  # SMS and email codes, given by ``service.py``
        self.devices: DeviceOperations | None = None  # remembered devices, given by ``service.py``
        self.srp = SrpSignIn(pool, self)

    # --- InitiateAuth ---------------------------------------------------------------------------

    def initiate_auth(self, params: dict) -> dict:
        self.pool.check_client(params)
        flow = params.get("AuthFlow")
        auth = params.get("AuthParameters") or {}
        if flow not in FLOW_SETTINGS:
            raise CognitoFault("InvalidParameterException", f"Initiate Auth method not supported: {flow}")
        if FLOW_SETTINGS[flow] not in self.pool.client.extended_config.get("ExplicitAuthFlows", []):
            raise invalid_parameter(f"{flow} flow not enabled for this client")
        if flow == "USER_PASSWORD_AUTH":
            return self._password_auth(params, auth)
        if flow == "USER_SRP_AUTH":
            return self.srp.initiate(params, auth)
        return self.refresh.refresh_token_auth(params, auth)

    def _password_auth(self, params: dict, auth: dict) -> dict:
        username = auth.get("USERNAME")
        self.pool.check_secret_hash(params, username)
        user = self.pool.checked_password(username, auth.get("PASSWORD"))
        if user.status is UserStatus.UNCONFIRMED:
            raise CognitoFault("UserNotConfirmedException", "User is not confirmed.")
        if user.status is UserStatus.RESET_REQUIRED:
            raise CognitoFault("PasswordResetRequiredException", "Password reset required for the user")
        if user.status is UserStatus.FORCE_CHANGE_PASSWORD:
            result = self.new_password_challenge(user)
        else:
            result = self.after_password(user, auth.get("DEVICE_KEY"))
        self.pool.save()
        return result

    # --- challenges -----------------------------------------------------------------------------

    def start_challenge(self, user: CognitoIdpUser, name: str, parameters: dict[str, str]) -> dict:
        """A new session for the challenge ``name``, and the answer that sends it."""
        now = self.pool.clock()
        self.pool.auth_sessions = {
            k: s for k, s in self.pool.auth_sessions.items() if s.expires + SPENT_SESSION_MEMORY_SECONDS > now
        }
        session = secrets.token_urlsafe(96)
        self.pool.auth_sessions[session] = AuthSession(user.id, name, now + AUTH_SESSION_SECONDS)
        return {
            "ChallengeName": name,
            "Session": session,
            "ChallengeParameters": dict(parameters, USER_ID_FOR_SRP=user.id),
        }

    def after_password(self, user: CognitoIdpUser, device_key: Any = None) -> dict:
        """What a correct (or newly chosen) password leads to: an MFA challenge (DEVICE_SRP_AUTH
        instead for a remembered device, ``devices.py``), or tokens. ``device_key``: the DEVICE_KEY
        the sign-in named, if any."""
        devices = self.devices
        if devices is not None and devices.replaces_mfa(user, device_key) and self._mfa_on(user):
            return devices.device_challenge(self, user, device_key)
        challenge = None
        if self.mfa_codes is not None:
            challenge = self.mfa_codes.challenge_after_password(user)
        elif self.pool.mfa_enabled(user):
            challenge = self.start_challenge(user, SOFTWARE_TOKEN_MFA, {})
        if challenge is not None:
            if isinstance(device_key, str) and challenge.get("Session") in self.pool.auth_sessions:
                self.pool.auth_sessions[challenge["Session"]].device_key = device_key
            return challenge
        return self.signed_in(user, self.pool.complete_sign_in(user), device_key)

    def _mfa_on(self, user: CognitoIdpUser) -> bool:
        if self.mfa_codes is not None:
            return bool(methods_on(self.pool, user))
        return self.pool.mfa_enabled(user)

    def signed_in(self, user: CognitoIdpUser, result: dict, device_key: Any) -> dict:
        """A sign-in's answer, with NewDeviceMetadata where the pool tracks devices (``devices.py``)."""
        return result if self.devices is None else self.devices.signed_in(user, result, device_key)

    def new_password_challenge(self, user: CognitoIdpUser) -> dict:
        """For a user an admin created, who signed in with the temporary password."""
        expires = self.pool.temporary_passwords.get(user.id)
        if expires is not None and expires <= self.pool.clock():
            raise not_authorized("Temporary password has expired and must be reset by an administrator.")
        attributes = {k: v for k, v in user.attribute_lookup.items() if k != "sub"}
        return self.start_challenge(
            user,
            NEW_PASSWORD_REQUIRED,
            {
                "requiredAttributes": required_attributes_parameter(self.pool.required_attributes, attributes),
                "userAttributes": json.dumps(attributes),
            },
        )

    def open_session(self, session: Any) -> AuthSession:
        """The challenge session named ``session``, while it may still be answered."""
        record = self.pool.auth_sessions.get(session) if isinstance(session, str) else None
        if record is None or record.failures >= MAX_MFA_CODE_FAILURES:
            raise not_authorized("Invalid session for the user.")
        if record.spent:
            raise not_authorized("Invalid session for the user, session can only be used once.")
        if record.expires <= self.pool.clock():
            raise not_authorized("Invalid session for the user, session is expired.")
        return record

    def respond_to_auth_challenge(self, params: dict) -> dict:
        pool = self.pool
        pool.check_client(params)
        name = params.get("ChallengeName")
        if name == PASSWORD_VERIFIER:
            return self.srp.respond(params)
        if name not in (SOFTWARE_TOKEN_MFA, NEW_PASSWORD_REQUIRED, *MFA_CODE_CHALLENGES, *DEVICE_CHALLENGES):
            raise invalid_parameter(f"The local Cognito does not send the challenge {name}.")
        session = self.open_session(params.get("Session"))
        responses, username = checked_responses(pool, params, session.challenge)
        user = pool.users.get(session.sub)
        if user is None or pool.find_user(username) is not user:
            raise not_authorized("Invalid session for the user.")
        if not user.enabled:
            session.spent = True
            raise not_authorized("User is disabled.")
        if name in DEVICE_CHALLENGES and self.devices is not None:
            result = self.devices.respond(self, name, session, user, responses)
        elif name in MFA_CODE_CHALLENGES and self.mfa_codes is not None:
            result = self.mfa_codes.answer(user, session, name, responses)
        elif name == SOFTWARE_TOKEN_MFA:
            result = self._answer_totp(user, session, responses.get("SOFTWARE_TOKEN_MFA_CODE"))
        else:
            result = self._answer_new_password(user, session, responses.get("NEW_PASSWORD"), responses)
        following = pool.auth_sessions.get(result.get("Session"))
        if following is not None and following.device_key is None:
            following.device_key = session.device_key  # SELECT_MFA_TYPE's choice: the code's step next
        if name not in DEVICE_CHALLENGES:
            result = self.signed_in(user, result, session.device_key)
        pool.save()
        return result

    def _answer_totp(self, user: CognitoIdpUser, session: AuthSession, code: Any) -> dict:
        self.check_totp_answer(user, session, code)
        return self.pool.complete_sign_in(user)

    def check_totp_answer(self, user: CognitoIdpUser, session: AuthSession, code: Any) -> None:
        """Accepts the code (and spends its time step and the session), or raises; the hosted UI
        shares it with RespondToAuthChallenge."""
        if not isinstance(code, str) or not code:
            raise invalid_parameter("Missing required parameter SOFTWARE_TOKEN_MFA_CODE")
        token = self.pool.software_tokens.get(user.id)
        if token is None or token.secret is None or not token.enabled:
            session.spent = True  # MFA was turned off since the challenge: sign in again
            raise CognitoFault("SoftwareTokenMFANotFoundException", "Software token MFA is not enabled for this user.")
        step = accepted_step(token.secret, code, self.pool.clock(), token.last_step)
        if step is None:
            session.failures += 1
            raise CognitoFault("CodeMismatchException", "Invalid code received for user")
        token.last_step = step
        session.spent = True

    def _answer_new_password(self, user: CognitoIdpUser, session: AuthSession, password: Any, responses: dict) -> dict:
        self.set_new_password(user, session, password, responses)
        return self.after_password(user, session.device_key)

    def set_new_password(self, user: CognitoIdpUser, session: AuthSession, password: Any, responses: dict) -> None:
        """The password chosen in answer to NEW_PASSWORD_REQUIRED, checked against the policy, and
        the attributes given with it (``userAttributes.<name>`` in ``responses``), which must include
        every required one the user lacks; the hosted UI shares it with RespondToAuthChallenge."""
        if password is None:
            raise invalid_parameter("Missing required parameter NEW_PASSWORD")
        self.pool.check_password_policy(password)
        attributes = new_password_attributes(self.pool.required_attributes, user.attribute_lookup, responses)
        user.update_attributes([{"Name": name, "Value": value} for name, value in attributes.items()])
        user.password = self.pool.passwords.hash(password)
        keep_verifier(self.pool, user, password)
        user.status = UserStatus.CONFIRMED
        user.last_modified_date = self.pool.now()
        self.pool.temporary_passwords.pop(user.id, None)
        session.spent = True

    # --- signing out ----------------------------------------------------------------------------

    def global_sign_out(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        self.pool.revoke_user_tokens(user.id)
        self.pool.save()
        return {}
