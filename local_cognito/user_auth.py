"""The local Cognito's choice-based sign-in: InitiateAuth's USER_AUTH flow, its challenges
(SELECT_CHALLENGE, EMAIL_OTP, WEB_AUTHN, and PASSWORD chosen among them), and GetUserAuthFactors.

As the Amazon Cognito API reference describes InitiateAuth and RespondToAuthChallenge:

- USER_AUTH takes USERNAME (and SECRET_HASH) and optionally PREFERRED_CHALLENGE. "If you don't
  provide a value for PREFERRED_CHALLENGE, Amazon Cognito responds with the AvailableChallenges
  parameter": a SELECT_CHALLENGE, answered with ANSWER (one of them) and that way's parameters.
- EMAIL_OTP: a code is "emailed" (to the console log, like the pool's other codes, and equal to the
  pinned code when there is one), and the answer is EMAIL_OTP_CODE. Its ChallengeParameters say
  where it went (CODE_DELIVERY_DELIVERY_MEDIUM, CODE_DELIVERY_DESTINATION).
- WEB_AUTHN: ChallengeParameters' CREDENTIAL_REQUEST_OPTIONS is the JSON of the options for
  navigator.credentials.get(); the answer's CREDENTIAL is the JSON of what it gave (``passkeys.py``
  checks it).
- PASSWORD (preferred, with PASSWORD in AuthParameters, or chosen with PASSWORD in the answer): the
  same as USER_PASSWORD_AUTH from there on (``sign_in.py``), MFA included.

Each way must be allowed: the app client's ALLOW_USER_AUTH (else InvalidParameterException "USER_AUTH
flow not enabled for this client", as for any flow), and the pool's feature plan and allowed first
factors (``sign_in_ways.py``). A passwordless way on the Lite plan is FeatureUnavailableInTierException;
one the pool's AllowedFirstAuthFactors does not list is InvalidParameterException. A sign-in with an
emailed code or a passkey is not followed by an MFA step.

Unknown, unconfirmed and disabled users get the same answers as others (the app client prevents
user-existence errors): a code "sent" nowhere that no answer matches, request options that list no
credential. These sessions are this module's (``sessions``), so the other challenges' answers stay
``sign_in.py``'s; they last three minutes and take five wrong codes, like those.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import uuid
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, UserStatus

from local_cognito.faults import CognitoFault, invalid_parameter, not_authorized
from local_cognito.passkeys import PasskeyOperations
from local_cognito.pool import UserPool
from local_cognito.sign_in import AUTH_SESSION_SECONDS, MAX_MFA_CODE_FAILURES, SignInOperations, checked_responses
from local_cognito.sign_in_ways import FIRST_FACTORS, PASSWORDLESS, USER_AUTH_FLOW, SignInWays
from server.user_names import fold_case

SELECT_CHALLENGE = "SELECT_CHALLENGE"
EMAIL_OTP = "EMAIL_OTP"
WEB_AUTHN = "WEB_AUTHN"
PASSWORD = "PASSWORD"
SIGN_IN_CODE = "signin"  # the purpose of an emailed sign-in code, in the pool's codes
SIGN_IN_CODE_SECONDS = AUTH_SESSION_SECONDS  # the code lasts as long as its session


@dataclasses.dataclass
class UserAuthSession:
    sub: str | None  # None: nobody has this user name (or it cannot sign in this way)
    challenge: str
    expires: float
    failures: int = 0
    spent: bool = False
    available: tuple[str, ...] = ()  # SELECT_CHALLENGE's choices
    webauthn_challenge: bytes = b""


class UserAuthOperations:
    """InitiateAuth and RespondToAuthChallenge for USER_AUTH, before ``sign_in.py``'s own; and
    GetUserAuthFactors."""

    def __init__(
        self, pool: UserPool, sign_in: SignInOperations, passkeys: PasskeyOperations, ways: SignInWays
    ) -> None:
        self.pool = pool
        self.sign_in = sign_in
        self.passkeys = passkeys
        self.ways = ways
        self.sessions: dict[str, UserAuthSession] = {}  # in memory only, as sign_in.py's

    # --- InitiateAuth ---------------------------------------------------------------------------

    def initiate_auth(self, params: dict) -> dict:
        if params.get("AuthFlow") != "USER_AUTH":
            return self.sign_in.initiate_auth(params)
        pool = self.pool
        pool.check_client(params)
        if USER_AUTH_FLOW not in pool.client.extended_config.get("ExplicitAuthFlows", []):
            raise invalid_parameter("USER_AUTH flow not enabled for this client")
        auth = params.get("AuthParameters") or {}
        username = auth.get("USERNAME")
        if not isinstance(username, str) or not username:
            raise invalid_parameter("Missing required parameter USERNAME")
        pool.check_secret_hash(params, username)
        preferred = auth.get("PREFERRED_CHALLENGE")
        if preferred is None:
            return self._select_challenge(username)
        self._check_allowed(preferred)
        if preferred == PASSWORD:
            return self.sign_in._password_auth(params, auth)
        return self._start(preferred, username)

    def _check_allowed(self, way: Any) -> None:
        if way not in FIRST_FACTORS:
            raise invalid_parameter(f"The challenge {str(way)[:32]} is not a first factor this user pool offers.")
        if way in PASSWORDLESS and self.ways.feature_plan == "LITE":
            raise CognitoFault(
                "FeatureUnavailableInTierException", f"{way} sign-in needs the Essentials or Plus feature plan."
            )
        if way not in self.ways.allowed():
            raise invalid_parameter(f"{way} is not an allowed first factor of this user pool.")

    def _who(self, username: str) -> CognitoIdpUser | None:
        """The user who may sign in with ``username`` without a password, or None."""
        user = self.pool.find_user(username)
        if user is None or not user.enabled or user.status is not UserStatus.CONFIRMED:
            return None
        return user

    def _new_session(self, record: UserAuthSession, user_id: str) -> tuple[str, dict]:
        now = self.pool.clock()
        self.sessions = {k: s for k, s in self.sessions.items() if s.expires > now}
        session = secrets.token_urlsafe(96)
        self.sessions[session] = record
        return session, {"USER_ID_FOR_SRP": user_id}

    def _select_challenge(self, username: str) -> dict:
        user = self.pool.find_user(username)
        available = self.ways.allowed()
        session, parameters = self._new_session(
            UserAuthSession(user.id if user else None, SELECT_CHALLENGE, self._expiry(), available=available),
            self._user_id(username, user),
        )
        return {
            "ChallengeName": SELECT_CHALLENGE,
            "Session": session,
            "ChallengeParameters": parameters,
            "AvailableChallenges": list(available),
        }

    def _user_id(self, username: str, user: CognitoIdpUser | None) -> str:
        """USER_ID_FOR_SRP: the user's sub, or for a name with no account one that looks like a sub
        and is the same at every try (a new one each time would tell that nobody has the name)."""
        if user is not None:
            return user.id
        digest = hmac.new(self.pool.client_secret.encode(), fold_case(username).encode(), hashlib.sha256).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def _expiry(self) -> float:
        return self.pool.clock() + AUTH_SESSION_SECONDS

    def _start(self, way: str, username: str) -> dict:
        """The EMAIL_OTP or WEB_AUTHN challenge for ``username``."""
        user = self._who(username)
        user_id = self._user_id(username, self.pool.find_user(username))
        if way == EMAIL_OTP:
            record = UserAuthSession(user.id if user else None, EMAIL_OTP, self._expiry())
            email = user.attribute_lookup.get("email", "") if user else username
            if user is not None:
                code = self.pool.pinned_code or f"{secrets.randbelow(10**8):08d}"
                self.pool.codes[f"{SIGN_IN_CODE}:{user.id}"] = {
                    "code": code,
                    "expires": self.pool.clock() + SIGN_IN_CODE_SECONDS,
                }
                self.pool.send_email(email, "your sign-in code is %s", code)
                self.pool.save()
            session, parameters = self._new_session(record, user_id)
            delivery = self.pool.delivery(email)
            parameters.update(CODE_DELIVERY_DELIVERY_MEDIUM="EMAIL", CODE_DELIVERY_DESTINATION=delivery["Destination"])
            return {"ChallengeName": EMAIL_OTP, "Session": session, "ChallengeParameters": parameters}
        options, challenge = self.passkeys.request_options(user)
        record = UserAuthSession(user.id if user else None, WEB_AUTHN, self._expiry(), webauthn_challenge=challenge)
        session, parameters = self._new_session(record, user_id)
        parameters["CREDENTIAL_REQUEST_OPTIONS"] = options
        return {"ChallengeName": WEB_AUTHN, "Session": session, "ChallengeParameters": parameters}

    # --- RespondToAuthChallenge -------------------------------------------------------------------

    def respond_to_auth_challenge(self, params: dict) -> dict:
        session_id = params.get("Session")
        record = self.sessions.get(session_id) if isinstance(session_id, str) else None
        if record is None:
            return self.sign_in.respond_to_auth_challenge(params)
        pool = self.pool
        pool.check_client(params)
        if record.spent or record.failures >= MAX_MFA_CODE_FAILURES:
            raise not_authorized("Invalid session for the user, session can only be used once.")
        if record.expires <= pool.clock():
            raise not_authorized("Invalid session for the user, session is expired.")
        responses, username = checked_responses(pool, params, record.challenge)
        name = record.challenge
        user = pool.users.get(record.sub) if record.sub else None
        if record.sub and (user is None or pool.find_user(username) is not user):
            raise not_authorized("Invalid session for the user.")
        if name == SELECT_CHALLENGE:
            return self._selected(record, responses, params)
        if name == EMAIL_OTP:
            return self._answer_code(record, user, responses.get("EMAIL_OTP_CODE"))
        return self._answer_passkey(record, user, responses.get("CREDENTIAL"))

    def _selected(self, record: UserAuthSession, responses: dict, params: dict) -> dict:
        answer = responses.get("ANSWER")
        if answer not in record.available:
            raise invalid_parameter("ANSWER must be one of the AvailableChallenges.")
        record.spent = True
        username = responses["USERNAME"]
        if answer == PASSWORD:
            auth = {
                "USERNAME": username,
                "PASSWORD": responses.get("PASSWORD"),
                "SECRET_HASH": responses.get("SECRET_HASH"),
            }
            return self.sign_in._password_auth({"ClientId": params.get("ClientId"), "AuthParameters": auth}, auth)
        if answer == WEB_AUTHN and responses.get("CREDENTIAL") is not None:
            raise invalid_parameter(
                "Answer WEB_AUTHN without CREDENTIAL first: the WEB_AUTHN challenge "
                "that follows carries the options to sign."
            )
        return self._start(answer, username)

    def _answer_code(self, record: UserAuthSession, user: CognitoIdpUser | None, code: Any) -> dict:
        if not isinstance(code, str) or not code:
            raise invalid_parameter("Missing required parameter EMAIL_OTP_CODE")
        try:
            self.pool.use_code(user, SIGN_IN_CODE, code)
        except CognitoFault:
            record.failures += 1
            raise
        return self._signed_in(record, user)

    def _answer_passkey(self, record: UserAuthSession, user: CognitoIdpUser | None, credential: Any) -> dict:
        if not isinstance(credential, str) or not credential:
            raise invalid_parameter("Missing required parameter CREDENTIAL")
        try:
            self.passkeys.check_assertion(user, credential, record.webauthn_challenge)
        except CognitoFault:
            record.spent = True  # the challenge was shown to the authenticator: a new one for another try
            raise
        return self._signed_in(record, user)

    def _signed_in(self, record: UserAuthSession, user: CognitoIdpUser | None) -> dict:
        record.spent = True
        if user is None or not user.enabled:
            raise not_authorized("User is disabled." if user else "Incorrect username or password.")
        result = self.pool.complete_sign_in(user)
        self.pool.save()
        return result

    # --- GetUserAuthFactors -----------------------------------------------------------------------

    def get_user_auth_factors(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        allowed = self.ways.allowed()
        factors = []
        if PASSWORD in allowed and user.password:
            factors.append(PASSWORD)
        if EMAIL_OTP in allowed and user.attribute_lookup.get("email_verified") == "true":
            factors.append(EMAIL_OTP)
        if WEB_AUTHN in allowed and self.passkeys.has_passkeys(user):
            factors.append(WEB_AUTHN)
        return {"Username": user.username, **self.pool.mfa_settings(user), "ConfiguredUserAuthFactors": factors}
