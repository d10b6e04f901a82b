"""The local Cognito's user-pool operations, on moto's Cognito model, behaving as Cognito documents.

moto keeps the pool, its app client and its users. Where moto falls short of Cognito for the calls
this backend makes, this module does what Cognito does:

- SECRET_HASH is checked on every flow (moto skips it for SignUp and USER_PASSWORD_AUTH); for
  REFRESH_TOKEN_AUTH it must be computed with the user name Cognito assigned (the ``sub``).
- Confirmation and reset codes are random (or ``LOCAL_COGNITO_CODE``), expire, are sent to the
  console log, and are checked (moto accepts any code).
- DeleteUser, ResendConfirmationCode and RevokeToken exist (moto lacks them).
- Tokens are JWTs signed with the pool's own key; access tokens are checked by signature, expiry and
  revocation (moto only remembers the strings it issued, and forgets them on restart).
- The app client has PreventUserExistenceErrors enabled: an unknown user signs in like a wrong
  password, and code requests for one answer with a simulated delivery.
- Users, their password hashes, pending codes and refresh tokens are saved after every change.
"""

from __future__ import annotations

import datetime
import hmac
import logging
import re
import secrets
import string
import time
import uuid
from typing import Any, Callable

from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUser, UserStatus
from moto.core import DEFAULT_ACCOUNT_ID

from server.cognito import STANDARD_ATTRIBUTES, secret_hash
from server.local_cognito.store import StateFile, hash_password, password_matches, token_digest
from server.local_cognito.tokens import InvalidToken, TokenSigner

log = logging.getLogger("local_cognito")
mail_log = logging.getLogger("local_cognito.mail")

REGION = "us-east-1"
POOL_NAME = "local-pool"
CLIENT_NAME = "local-app-client"
SIGN_UP_CODE_SECONDS = 24 * 3600  # Cognito: confirmation codes are good for 24 hours
RESET_CODE_SECONDS = 3600  # Cognito: password reset codes are good for one hour
REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
MAX_CODE_FAILURES = 5  # wrong codes accepted before a code is locked
MIN_PASSWORD_LENGTH = 8  # the tutorial's pool: length 8, no character classes required
MAX_PASSWORD_LENGTH = 256
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Cognito's pattern for passwords: no whitespace at either end.
PASSWORD_PATTERN = re.compile(r"^\S(.*\S)?$", re.DOTALL)


class CognitoFault(Exception):
    """An error answer in Cognito's own terms: its exception name and its message."""

    def __init__(self, name: str, message: str, status: int = 400):
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status


def _not_authorized(message: str = "Incorrect username or password.") -> CognitoFault:
    return CognitoFault("NotAuthorizedException", message)


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


class LocalUserPool:
    """One user pool with one app client (with a secret), kept in ``data_dir``."""

    def __init__(self, data_dir: str, *, pinned_code: str | None = None,
                 access_token_seconds: int = 3600, clock: Callable[[], float] = time.time):
        self.store = StateFile(data_dir)
        self.signer = TokenSigner(self.store.key_path, access_token_seconds)
        self.pinned_code = pinned_code
        self.clock = clock
        self.issuer = ""  # set by the HTTP layer once the endpoint's URL is known
        self.backend = CognitoIdpBackend(REGION, DEFAULT_ACCOUNT_ID)
        self.codes: dict[str, dict] = {}  # "<purpose>:<sub>" -> {"code", "expires"}
        self.refresh_tokens: dict[str, dict] = {}  # token digest -> record
        self._decoy_hash = hash_password(secrets.token_urlsafe(16))
        self._restore(self.store.load())
        self.operations: dict[str, Callable[[dict], dict]] = {
            "SignUp": self.sign_up,
            "ConfirmSignUp": self.confirm_sign_up,
            "ResendConfirmationCode": self.resend_confirmation_code,
            "InitiateAuth": self.initiate_auth,
            "RevokeToken": self.revoke_token,
            "GlobalSignOut": self.global_sign_out,
            "ChangePassword": self.change_password,
            "ForgotPassword": self.forgot_password,
            "ConfirmForgotPassword": self.confirm_forgot_password,
            "GetUser": self.get_user,
            "UpdateUserAttributes": self.update_user_attributes,
            "DeleteUser": self.delete_user,
        }

    # --- the pool, its client, and saving ------------------------------------------------------

    def _restore(self, state: dict | None) -> None:
        pool_config = {
            "UsernameAttributes": ["email"],
            "AutoVerifiedAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "Policies": {"PasswordPolicy": {
                "MinimumLength": MIN_PASSWORD_LENGTH, "RequireUppercase": False,
                "RequireLowercase": False, "RequireNumbers": False, "RequireSymbols": False,
                "TemporaryPasswordValidityDays": 7}},
        }
        self.pool = self.backend.create_user_pool(POOL_NAME, pool_config)
        self.client = self.backend.create_user_pool_client(self.pool.id, True, {
            "ClientName": CLIENT_NAME,
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
        })
        # A pool id shaped like Cognito's ("us-east-1_AbC123xYz"), kept from run to run, as are the
        # client id and secret, so a configured client stays valid.
        self.backend.user_pools.pop(self.pool.id)
        alphabet = string.ascii_letters + string.digits
        self.pool.id = (state["pool"]["id"] if state
                        else f"{REGION}_" + "".join(secrets.choice(alphabet) for _ in range(9)))
        self.backend.user_pools[self.pool.id] = self.pool
        self.client.user_pool_id = self.pool.id
        if state is None:
            self.save()
            return
        self.pool.clients.pop(self.client.id)
        self.client.id = state["client"]["id"]
        self.client.secret = state["client"]["secret"]
        self.pool.clients[self.client.id] = self.client
        for saved in state.get("users", []):
            user = CognitoIdpUser(self.pool.id, saved["sub"], saved.get("password_hash"),
                                  UserStatus[saved["status"]],
                                  [{"Name": k, "Value": v} for k, v in saved["attributes"].items()])
            user.id = saved["sub"]
            user.update_attributes([{"Name": "sub", "Value": user.id}])
            user.enabled = saved.get("enabled", True)
            user.create_date = datetime.datetime.fromtimestamp(saved["created"], datetime.timezone.utc)
            user.last_modified_date = datetime.datetime.fromtimestamp(saved["modified"],
                                                                      datetime.timezone.utc)
            self.pool.users[user.username] = user
        self.codes = dict(state.get("codes", {}))
        self.refresh_tokens = dict(state.get("refresh_tokens", {}))

    def save(self) -> None:
        now = self.clock()
        self.codes = {k: v for k, v in self.codes.items() if v["expires"] > now}
        self.refresh_tokens = {k: v for k, v in self.refresh_tokens.items() if v["expires"] > now}
        self.store.save({
            "pool": {"id": self.pool.id, "name": POOL_NAME},
            "client": {"id": self.client.id, "secret": self.client.secret},
            "users": [{
                "sub": user.id,
                "status": user.status.name if isinstance(user.status, UserStatus) else str(user.status),
                "enabled": user.enabled,
                "attributes": {k: v for k, v in user.attribute_lookup.items() if k != "sub"},
                "password_hash": user.password,
                "created": user.create_date.timestamp(),
                "modified": user.last_modified_date.timestamp(),
            } for user in self.pool.users.values()],
            "codes": self.codes,
            "refresh_tokens": self.refresh_tokens,
        })

    @property
    def client_id(self) -> str:
        return self.client.id

    @property
    def client_secret(self) -> str:
        return self.client.secret

    @property
    def pool_id(self) -> str:
        return self.pool.id

    # --- checks shared by the operations --------------------------------------------------------

    def _check_client(self, params: dict) -> None:
        if params.get("ClientId") != self.client.id:
            raise CognitoFault("ResourceNotFoundException", "User pool client does not exist.")

    def _check_secret_hash(self, params: dict, username: str | None) -> None:
        given = params.get("SecretHash") or (params.get("AuthParameters") or {}).get("SECRET_HASH")
        if not given:
            raise _not_authorized(f"Client {self.client.id} is configured with secret but "
                                  "SECRET_HASH was not received")
        expected = secret_hash(username or "", self.client.id, self.client.secret)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise _not_authorized(f"Unable to verify secret hash for client {self.client.id}")

    def _find_user(self, username: str | None) -> CognitoIdpUser | None:
        """By user name (the sub) or by email, case-insensitively, as the pool is configured."""
        if not username:
            return None
        user = self.pool.users.get(username)
        if user is not None:
            return user
        wanted = username.casefold()
        return next((u for u in self.pool.users.values()
                     if u.attribute_lookup.get("email", "").casefold() == wanted), None)

    def _check_password_policy(self, password: Any) -> None:
        if not isinstance(password, str) or not PASSWORD_PATTERN.match(password):
            raise CognitoFault("InvalidParameterException",
                               "1 validation error detected: Value at 'password' failed to satisfy "
                               "constraint: Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise CognitoFault("InvalidPasswordException",
                               "Password did not conform with policy: Password not long enough")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise CognitoFault("InvalidPasswordException",
                               "Password did not conform with policy: Password is too long")

    def _attributes(self, attribute_list: Any) -> dict[str, str]:
        if attribute_list is None:
            return {}
        if not isinstance(attribute_list, list):
            raise CognitoFault("InvalidParameterException", "UserAttributes must be a list.")
        attributes = {}
        for item in attribute_list:
            name, value = (item or {}).get("Name"), (item or {}).get("Value")
            if name not in STANDARD_ATTRIBUTES and name not in ("email", "email_verified"):
                raise CognitoFault("InvalidParameterException",
                                   f"Attributes did not conform to the schema: {name}: "
                                   "Attribute does not exist in the schema.")
            if not isinstance(value, str) or len(value) > 2048:
                raise CognitoFault("InvalidParameterException",
                                   f"Attributes did not conform to the schema: {name}: "
                                   "String must be no longer than 2048 characters")
            attributes[name] = value
        return attributes

    def _user_for_access_token(self, token: Any) -> CognitoIdpUser:
        if not isinstance(token, str):
            raise _not_authorized("Invalid Access Token")
        try:
            claims = self.signer.verify_access_token(token)
        except InvalidToken as invalid:
            raise _not_authorized("Access Token has expired" if invalid.expired
                                  else "Invalid Access Token") from None
        if claims.get("client_id") != self.client.id:
            raise _not_authorized("Invalid Access Token")
        if not any(r["origin_jti"] == claims.get("origin_jti") for r in self.refresh_tokens.values()):
            raise _not_authorized("Access Token has been revoked")
        user = self.pool.users.get(claims["sub"])
        if user is None:
            raise _not_authorized("Access Token has been revoked")
        if not user.enabled:
            raise _not_authorized("User is disabled.")
        return user

    # --- codes ----------------------------------------------------------------------------------

    def _send_code(self, user: CognitoIdpUser, purpose: str, lifetime: int) -> dict:
        code = self.pinned_code or f"{secrets.randbelow(10 ** 6):06d}"
        self.codes[f"{purpose}:{user.id}"] = {"code": code, "expires": self.clock() + lifetime}
        email = user.attribute_lookup.get("email", "")
        what = "confirmation" if purpose == "signup" else "password reset"
        mail_log.warning("Email to %s: your %s code is %s", email, what, code)
        return self._delivery(email)

    @staticmethod
    def _delivery(email: str) -> dict:
        return {"Destination": _masked(email), "DeliveryMedium": "EMAIL", "AttributeName": "email"}

    def _use_code(self, user: CognitoIdpUser | None, purpose: str, given: Any) -> None:
        record = self.codes.get(f"{purpose}:{user.id}") if user else None
        if record is not None and record.get("failures", 0) >= MAX_CODE_FAILURES:
            # Like Cognito: after a few wrong guesses even the right code is refused until a new
            # one is asked for, so six digits cannot be guessed.
            raise CognitoFault("LimitExceededException", "Attempt limit exceeded, please try after some time.")
        if record is None or not isinstance(given, str) or not hmac.compare_digest(
                record["code"].encode(), given.encode()):
            if record is not None:
                record["failures"] = record.get("failures", 0) + 1
                self.save()
            raise CognitoFault("CodeMismatchException",
                               "Invalid verification code provided, please try again.")
        if record["expires"] <= self.clock():
            raise CognitoFault("ExpiredCodeException", "Invalid code provided, please request a code again.")
        del self.codes[f"{purpose}:{user.id}"]

    # --- tokens ---------------------------------------------------------------------------------

    def _tokens(self, user: CognitoIdpUser, origin_jti: str, auth_time: int) -> tuple[str, str, int]:
        return self.signer.issue(
            issuer=self.issuer, client_id=self.client.id, sub=user.id,
            attributes=user.attribute_lookup, groups=sorted(g.group_name for g in user.groups),
            origin_jti=origin_jti, auth_time=auth_time)

    def _sign_in(self, user: CognitoIdpUser) -> dict:
        refresh_token = secrets.token_urlsafe(96)
        origin_jti = str(uuid.uuid4())
        now = int(self.clock())
        self.refresh_tokens[token_digest(refresh_token)] = {
            "client_id": self.client.id, "sub": user.id, "origin_jti": origin_jti,
            "auth_time": now, "expires": now + REFRESH_TOKEN_SECONDS,
        }
        access, identity, expires_in = self._tokens(user, origin_jti, now)
        return {"ChallengeParameters": {}, "AuthenticationResult": {
            "AccessToken": access, "IdToken": identity, "RefreshToken": refresh_token,
            "ExpiresIn": expires_in, "TokenType": "Bearer"}}

    def _revoke_user_tokens(self, sub: str) -> None:
        self.refresh_tokens = {k: v for k, v in self.refresh_tokens.items() if v["sub"] != sub}

    # --- the operations -------------------------------------------------------------------------

    def sign_up(self, params: dict) -> dict:
        self._check_client(params)
        username = params.get("Username")
        self._check_secret_hash(params, username)
        if not isinstance(username, str) or not EMAIL.match(username):
            raise CognitoFault("InvalidParameterException", "Username should be an email.")
        self._check_password_policy(params.get("Password"))
        attributes = self._attributes(params.get("UserAttributes"))
        if self._find_user(username) is not None:
            raise CognitoFault("UsernameExistsException", "An account with the given email already exists.")
        attributes.update({"email": username, "email_verified": "false"})
        user = CognitoIdpUser(self.pool.id, None, hash_password(params["Password"]), UserStatus.UNCONFIRMED,
                              [{"Name": k, "Value": v} for k, v in attributes.items()])
        self.pool.users[user.username] = user
        delivery = self._send_code(user, "signup", SIGN_UP_CODE_SECONDS)
        self.save()
        return {"UserConfirmed": False, "UserSub": user.id, "CodeDeliveryDetails": delivery}

    def confirm_sign_up(self, params: dict) -> dict:
        self._check_client(params)
        self._check_secret_hash(params, params.get("Username"))
        user = self._find_user(params.get("Username"))
        if user is not None and user.status is UserStatus.CONFIRMED:
            raise _not_authorized("User cannot be confirmed. Current status is CONFIRMED")
        self._use_code(user, "signup", params.get("ConfirmationCode"))
        user.status = UserStatus.CONFIRMED
        user.update_attributes([{"Name": "email_verified", "Value": "true"}])
        self.save()
        return {}

    def _user_asking_for_a_code(self, params: dict) -> CognitoIdpUser | None:
        """The user a code request is for; None for an unknown user, who gets a simulated
        delivery (PreventUserExistenceErrors)."""
        self._check_client(params)
        self._check_secret_hash(params, params.get("Username"))
        return self._find_user(params.get("Username"))

    def resend_confirmation_code(self, params: dict) -> dict:
        user = self._user_asking_for_a_code(params)
        if user is None:
            return {"CodeDeliveryDetails": self._delivery(str(params.get("Username")))}
        if user.status is UserStatus.CONFIRMED:
            raise CognitoFault("InvalidParameterException", "User is already confirmed.")
        delivery = self._send_code(user, "signup", SIGN_UP_CODE_SECONDS)
        self.save()
        return {"CodeDeliveryDetails": delivery}

    def initiate_auth(self, params: dict) -> dict:
        self._check_client(params)
        flow = params.get("AuthFlow")
        auth = params.get("AuthParameters") or {}
        if flow == "USER_PASSWORD_AUTH":
            return self._password_auth(params, auth)
        if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            return self._refresh_auth(params, auth)
        raise CognitoFault("InvalidParameterException", f"Initiate Auth method not supported: {flow}")

    def _password_auth(self, params: dict, auth: dict) -> dict:
        username = auth.get("USERNAME")
        self._check_secret_hash(params, username)
        user = self._find_user(username)
        # An unknown user costs the same hash as a known one: the time taken tells nothing either.
        stored = user.password if user is not None else self._decoy_hash
        if not password_matches(auth.get("PASSWORD") or "", stored) or user is None:
            raise _not_authorized()
        if not user.enabled:
            raise _not_authorized("User is disabled.")
        if user.status is UserStatus.UNCONFIRMED:
            raise CognitoFault("UserNotConfirmedException", "User is not confirmed.")
        if user.status is UserStatus.RESET_REQUIRED:
            raise CognitoFault("PasswordResetRequiredException", "Password reset required for the user")
        result = self._sign_in(user)
        self.save()
        return result

    def _refresh_auth(self, params: dict, auth: dict) -> dict:
        token = auth.get("REFRESH_TOKEN")
        record = self.refresh_tokens.get(token_digest(token)) if isinstance(token, str) else None
        if record is None or record["client_id"] != self.client.id:
            raise _not_authorized("Invalid Refresh Token")
        if record["expires"] <= self.clock():
            raise _not_authorized("Refresh Token has expired")
        # The user name Cognito assigned, not the email the user typed.
        self._check_secret_hash(params, record["sub"])
        user = self.pool.users.get(record["sub"])
        if user is None:
            raise _not_authorized("Invalid Refresh Token")
        if not user.enabled:
            raise _not_authorized("User is disabled.")
        access, identity, expires_in = self._tokens(user, record["origin_jti"], record["auth_time"])
        return {"ChallengeParameters": {}, "AuthenticationResult": {
            "AccessToken": access, "IdToken": identity, "ExpiresIn": expires_in, "TokenType": "Bearer"}}

    def revoke_token(self, params: dict) -> dict:
        self._check_client(params)
        given = params.get("ClientSecret")
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), self.client.secret.encode()):
            raise CognitoFault("UnauthorizedException", "Client authentication failed.")
        token = params.get("Token")
        if not isinstance(token, str):
            raise CognitoFault("InvalidParameterException", "Token is required.")
        # As RFC 7009 asks, an unknown or already revoked token is not an error.
        if self.refresh_tokens.pop(token_digest(token), None) is not None:
            self.save()
        return {}

    def global_sign_out(self, params: dict) -> dict:
        user = self._user_for_access_token(params.get("AccessToken"))
        self._revoke_user_tokens(user.id)
        self.save()
        return {}

    def change_password(self, params: dict) -> dict:
        user = self._user_for_access_token(params.get("AccessToken"))
        if not password_matches(params.get("PreviousPassword") or "", user.password):
            raise _not_authorized()
        self._check_password_policy(params.get("ProposedPassword"))
        user.password = hash_password(params["ProposedPassword"])
        user.last_modified_date = datetime.datetime.now(datetime.timezone.utc)
        self.save()
        return {}

    def forgot_password(self, params: dict) -> dict:
        user = self._user_asking_for_a_code(params)
        if user is None:
            return {"CodeDeliveryDetails": self._delivery(str(params.get("Username")))}
        if not user.enabled:
            raise _not_authorized("User is disabled.")
        if user.attribute_lookup.get("email_verified") != "true":
            raise CognitoFault("InvalidParameterException",
                               "Cannot reset password for the user as there is no registered/verified "
                               "email or phone_number")
        delivery = self._send_code(user, "reset", RESET_CODE_SECONDS)
        self.save()
        return {"CodeDeliveryDetails": delivery}

    def confirm_forgot_password(self, params: dict) -> dict:
        self._check_client(params)
        self._check_secret_hash(params, params.get("Username"))
        user = self._find_user(params.get("Username"))
        self._check_password_policy(params.get("Password"))
        self._use_code(user, "reset", params.get("ConfirmationCode"))
        user.password = hash_password(params["Password"])
        if user.status is UserStatus.RESET_REQUIRED:
            user.status = UserStatus.CONFIRMED
        user.last_modified_date = datetime.datetime.now(datetime.timezone.utc)
        self.save()
        return {}

    def get_user(self, params: dict) -> dict:
        user = self._user_for_access_token(params.get("AccessToken"))
        return {
            "Username": user.username,
            "UserAttributes": [{"Name": k, "Value": v} for k, v in user.attribute_lookup.items()],
            "MFAOptions": [],
            "UserMFASettingList": [],
        }

    def update_user_attributes(self, params: dict) -> dict:
        user = self._user_for_access_token(params.get("AccessToken"))
        attributes = self._attributes(params.get("UserAttributes"))
        if "email_verified" in attributes:
            raise CognitoFault("NotAuthorizedException",
                               "A client attempted to write unauthorized attribute")
        email = attributes.get("email")
        if email is not None:
            other = self._find_user(email)
            if other is not None and other is not user:
                raise CognitoFault("AliasExistsException",
                                   "An account with the given email already exists.")
            if not EMAIL.match(email):
                raise CognitoFault("InvalidParameterException", "Invalid email address format.")
        user.update_attributes([{"Name": k, "Value": v} for k, v in attributes.items()])
        self.save()
        return {"CodeDeliveryDetailsList": []}

    def delete_user(self, params: dict) -> dict:
        user = self._user_for_access_token(params.get("AccessToken"))
        del self.pool.users[user.username]
        self._revoke_user_tokens(user.id)
        self.codes = {k: v for k, v in self.codes.items() if not k.endswith(":" + user.id)}
        self.save()
        return {}
