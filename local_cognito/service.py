"""The local Cognito's user pool: its state, the checks every operation shares, and the public calls.

moto keeps the pool, its app client, its users and its groups. Where moto falls short of Cognito for
the calls this backend makes, the local pool does what Cognito does:

- SECRET_HASH is checked on every flow (moto skips it for SignUp and USER_PASSWORD_AUTH); for
  REFRESH_TOKEN_AUTH it must be computed with the user name Cognito assigned (the ``sub``).
- Confirmation and reset codes are random (or ``LOCAL_COGNITO_CODE``), expire, are sent to the
  console log, and are checked (moto accepts any code).
- DeleteUser, ResendConfirmationCode and RevokeToken exist (moto lacks them).
- Tokens are JWTs signed with the pool's own key; access tokens are checked by signature, expiry and
  revocation (moto only remembers the strings it issued, and forgets them on restart).
- The app client has PreventUserExistenceErrors enabled: an unknown user signs in like a wrong
  password, and code requests for one answer with a simulated delivery.
- TOTP MFA has a random secret per user, verified codes, a check against reusing a time step, and
  sign-in challenges with one-use sessions that expire (moto gives everyone one fixed secret and
  accepts any code); see ``mfa.py``.
- The admin operations work on the pool's own user records, need a SigV4-signed request, and send
  invitations and reset codes to the console log; see ``admin.py``.
- The app client is also an OAuth 2.0 / OpenID Connect client of the pool's hosted UI: authorization
  codes with PKCE, the token and userInfo answers, and hosted-UI sessions; see ``oauth/`` (and
  ``hosted_ui.py`` for its pages).
- Users, their password hashes, TOTP secrets, groups, pending codes and refresh tokens are saved
  after every change.
"""

from __future__ import annotations

import dataclasses
import datetime
import hmac
import logging
import secrets
import string
import time
import uuid
from typing import Any, Callable

from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpGroup, CognitoIdpUser, UserStatus
from moto.core import DEFAULT_ACCOUNT_ID

from local_cognito.admin import AdminOperations
from local_cognito.faults import CognitoFault, not_authorized
from local_cognito.mfa import AuthSession, MfaOperations
from local_cognito.oauth.operations import OAuthOperations
from local_cognito.oauth.records import AuthorizationCode, HostedSession
from local_cognito.pool_settings import (CLIENT_NAME, EMAIL, MAX_CODE_FAILURES,
                                         MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH,
                                         PASSWORD_PATTERN, POOL_NAME, REFRESH_TOKEN_SECONDS,
                                         REGION, RESET_CODE_SECONDS, SIGN_UP_CODE_SECONDS,
                                         TEMPORARY_PASSWORD_DAYS)
from local_cognito.store import (StateFile, as_timestamp, from_timestamp, hash_password,
                                 password_matches, token_digest)
from local_cognito.tokens import ACCESS_SCOPE, InvalidToken, TokenSigner
from local_cognito.totp import SoftwareToken
from server.cognito import STANDARD_ATTRIBUTES, secret_hash

log = logging.getLogger("local_cognito")
mail_log = logging.getLogger("local_cognito.mail")


__all__ = ["CognitoFault", "LocalUserPool"]


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


class LocalUserPool(MfaOperations, AdminOperations, OAuthOperations):
    """One user pool with one app client (with a secret), kept in ``data_dir``.

    The MFA and challenge operations (``mfa.py``), the admin operations (``admin.py``) and the
    hosted UI's OAuth 2.0 side (``oauth/``) are mixed in; they use the state and the checks
    defined here.
    """

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
        self.software_tokens: dict[str, SoftwareToken] = {}  # sub -> TOTP secrets and settings
        self.temporary_passwords: dict[str, float] = {}  # sub -> when the admin-set password expires
        self.auth_sessions: dict[str, AuthSession] = {}  # sign-in challenges; in memory only
        # The hosted UI's authorization codes (live and spent) and browser sessions, by the SHA-256
        # of the code or session id; in memory only, so a restart signs browsers out of it.
        self.authorization_codes: dict[str, AuthorizationCode] = {}
        self.spent_codes: dict[str, dict] = {}
        self.hosted_sessions: dict[str, HostedSession] = {}
        self._decoy_hash = hash_password(secrets.token_urlsafe(16))
        self._restore(self.store.load())
        self.configure_hosted_ui()  # no callback URLs until start-up gives them (``__init__.py``)
        self.operations: dict[str, Callable[[dict], dict]] = {
            "SignUp": self.sign_up,
            "ConfirmSignUp": self.confirm_sign_up,
            "ResendConfirmationCode": self.resend_confirmation_code,
            "InitiateAuth": self.initiate_auth,
            "RespondToAuthChallenge": self.respond_to_auth_challenge,
            "RevokeToken": self.revoke_token,
            "GlobalSignOut": self.global_sign_out,
            "ChangePassword": self.change_password,
            "ForgotPassword": self.forgot_password,
            "ConfirmForgotPassword": self.confirm_forgot_password,
            "GetUser": self.get_user,
            "UpdateUserAttributes": self.update_user_attributes,
            "DeleteUser": self.delete_user,
            "AssociateSoftwareToken": self.associate_software_token,
            "VerifySoftwareToken": self.verify_software_token,
            "SetUserMFAPreference": self.set_user_mfa_preference,
            # IAM-authorised: the HTTP layer refuses them unsigned (see admin.needs_signature).
            "AdminCreateUser": self.admin_create_user,
            "AdminGetUser": self.admin_get_user,
            "ListUsers": self.list_users,
            "AdminDisableUser": self.admin_disable_user,
            "AdminEnableUser": self.admin_enable_user,
            "AdminDeleteUser": self.admin_delete_user,
            "AdminResetUserPassword": self.admin_reset_user_password,
            "AdminConfirmSignUp": self.admin_confirm_sign_up,
            "AdminAddUserToGroup": self.admin_add_user_to_group,
            "AdminRemoveUserFromGroup": self.admin_remove_user_from_group,
            "AdminListGroupsForUser": self.admin_list_groups_for_user,
            "AdminUserGlobalSignOut": self.admin_user_global_sign_out,
            "CreateGroup": self.create_group,
            "GetGroup": self.get_group,
            "ListGroups": self.list_groups,
        }

    # --- the pool, its client, and saving ------------------------------------------------------

    def _restore(self, state: dict | None) -> None:
        pool_config = {
            "UsernameAttributes": ["email"],
            "AutoVerifiedAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "MfaConfiguration": "OPTIONAL",
            "Policies": {"PasswordPolicy": {
                "MinimumLength": MIN_PASSWORD_LENGTH, "RequireUppercase": False,
                "RequireLowercase": False, "RequireNumbers": False, "RequireSymbols": False,
                "TemporaryPasswordValidityDays": TEMPORARY_PASSWORD_DAYS}},
        }
        self.pool = self.backend.create_user_pool(POOL_NAME, pool_config)
        self.pool.token_mfa_config = {"Enabled": True}
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
        # Keys added after the first version are read with .get(): older state files still load.
        for saved in state.get("users", []):
            user = CognitoIdpUser(self.pool.id, saved["sub"], saved.get("password_hash"),
                                  UserStatus[saved["status"]],
                                  [{"Name": k, "Value": v} for k, v in saved["attributes"].items()])
            user.id = saved["sub"]
            user.update_attributes([{"Name": "sub", "Value": user.id}])
            user.enabled = saved.get("enabled", True)
            user.create_date = from_timestamp(saved["created"])
            user.last_modified_date = from_timestamp(saved["modified"])
            self.pool.users[user.username] = user
            if saved.get("software_token"):
                self.software_tokens[user.id] = SoftwareToken.from_saved(saved["software_token"])
            if saved.get("temporary_password_expires") is not None:
                self.temporary_passwords[user.id] = saved["temporary_password_expires"]
        for saved in state.get("groups", []):
            group = CognitoIdpGroup(self.pool.id, saved["name"], saved.get("description", ""),
                                    saved.get("role_arn"), saved.get("precedence"))
            group.creation_date = from_timestamp(saved["created"])
            group.last_modified_date = from_timestamp(saved["modified"])
            self.pool.groups[group.group_name] = group
            for sub in saved.get("members", []):
                if sub in self.pool.users:
                    self._link(self.pool.users[sub], group)
        self.codes = dict(state.get("codes", {}))
        self.refresh_tokens = dict(state.get("refresh_tokens", {}))

    def save(self) -> None:
        now = self.clock()
        self.codes = {k: v for k, v in self.codes.items() if v["expires"] > now}
        self.refresh_tokens = {k: v for k, v in self.refresh_tokens.items() if v["expires"] > now}
        self.store.save({
            "pool": {"id": self.pool.id, "name": POOL_NAME},
            "client": {"id": self.client.id, "secret": self.client.secret},
            "users": [self._saved_user(user) for user in self.pool.users.values()],
            "groups": [{
                "name": group.group_name,
                "description": group.description,
                "role_arn": group.role_arn,
                "precedence": group.precedence,
                "created": as_timestamp(group.creation_date),
                "modified": as_timestamp(group.last_modified_date),
                "members": sorted(user.id for user in group.users),
            } for group in self.pool.groups.values()],
            "codes": self.codes,
            "refresh_tokens": self.refresh_tokens,
        })

    def _saved_user(self, user: CognitoIdpUser) -> dict:
        saved = {
            "sub": user.id,
            "status": user.status.name if isinstance(user.status, UserStatus) else str(user.status),
            "enabled": user.enabled,
            "attributes": {k: v for k, v in user.attribute_lookup.items() if k != "sub"},
            "password_hash": user.password,
            "created": as_timestamp(user.create_date),
            "modified": as_timestamp(user.last_modified_date),
        }
        token = self.software_tokens.get(user.id)
        if token is not None:
            saved["software_token"] = dataclasses.asdict(token)
        if user.id in self.temporary_passwords:
            saved["temporary_password_expires"] = self.temporary_passwords[user.id]
        return saved

    @property
    def client_id(self) -> str:
        return self.client.id

    @property
    def client_secret(self) -> str:
        return self.client.secret

    @property
    def pool_id(self) -> str:
        return self.pool.id

    def _now(self) -> datetime.datetime:
        return from_timestamp(self.clock())

    # --- checks shared by the operations --------------------------------------------------------

    def _check_client(self, params: dict) -> None:
        if params.get("ClientId") != self.client.id:
            raise CognitoFault("ResourceNotFoundException", "User pool client does not exist.")

    def _check_secret_hash(self, params: dict, username: str | None) -> None:
        given = params.get("SecretHash") or (params.get("AuthParameters") or {}).get("SECRET_HASH")
        if not given:
            raise not_authorized(f"Client {self.client.id} is configured with secret but "
                                 "SECRET_HASH was not received")
        expected = secret_hash(username or "", self.client.id, self.client.secret)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise not_authorized(f"Unable to verify secret hash for client {self.client.id}")

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
        return self._access_token_user_and_claims(token)[0]

    def _access_token_user_and_claims(self, token: Any) -> tuple[CognitoIdpUser, dict]:
        """The user an access token belongs to and its claims, checked as GetUser checks them:
        signature, expiry, client, revocation, and that the user still exists and is enabled."""
        if not isinstance(token, str):
            raise not_authorized("Invalid Access Token")
        try:
            claims = self.signer.verify_access_token(token)
        except InvalidToken as invalid:
            raise not_authorized("Access Token has expired" if invalid.expired
                                 else "Invalid Access Token") from None
        if claims.get("client_id") != self.client.id:
            raise not_authorized("Invalid Access Token")
        if not any(r["origin_jti"] == claims.get("origin_jti") for r in self.refresh_tokens.values()):
            raise not_authorized("Access Token has been revoked")
        user = self.pool.users.get(claims["sub"])
        if user is None:
            raise not_authorized("Access Token has been revoked")
        if not user.enabled:
            raise not_authorized("User is disabled.")
        return user, claims

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

    def _tokens(self, user: CognitoIdpUser, origin_jti: str, auth_time: int,
                scope: str = ACCESS_SCOPE, nonce: str | None = None) -> tuple[str, str, int]:
        return self.signer.issue(
            issuer=self.issuer, client_id=self.client.id, sub=user.id,
            attributes=user.attribute_lookup, groups=sorted(g.group_name for g in user.groups),
            origin_jti=origin_jti, auth_time=auth_time, scope=scope, nonce=nonce)

    def _sign_in(self, user: CognitoIdpUser, *, scope: str | None = None, nonce: str | None = None,
                 auth_time: int | None = None) -> dict:
        """Tokens for a completed sign-in, and the refresh token's record. The hosted UI gives the
        scopes granted, the authorize request's nonce and when the user authenticated; a refresh
        keeps the scopes (whichever way it is asked for)."""
        refresh_token = secrets.token_urlsafe(96)
        origin_jti = str(uuid.uuid4())
        now = int(self.clock())
        auth_time = now if auth_time is None else auth_time
        record = {
            "client_id": self.client.id, "sub": user.id, "origin_jti": origin_jti,
            "auth_time": auth_time, "expires": now + REFRESH_TOKEN_SECONDS,
        }
        if scope is not None:
            record["scope"] = scope
        self.refresh_tokens[token_digest(refresh_token)] = record
        access, identity, expires_in = self._tokens(user, origin_jti, auth_time,
                                                    scope or ACCESS_SCOPE, nonce)
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
        if user is not None and user.status is not UserStatus.UNCONFIRMED:
            raise not_authorized(f"User cannot be confirmed. Current status is {user.status.value}")
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
        if user.status is not UserStatus.UNCONFIRMED:
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

    def _checked_password(self, username: Any, password: Any) -> CognitoIdpUser:
        """The enabled user whose password this is; NotAuthorized, the same for an unknown user and
        a wrong password, otherwise. The caller looks at the user's status."""
        user = self._find_user(username if isinstance(username, str) else None)
        # An unknown user costs the same hash as a known one: the time taken tells nothing either.
        stored = user.password if user is not None else self._decoy_hash
        if not password_matches(password if isinstance(password, str) else "", stored) or user is None:
            raise not_authorized()
        if not user.enabled:
            raise not_authorized("User is disabled.")
        return user

    def _password_auth(self, params: dict, auth: dict) -> dict:
        username = auth.get("USERNAME")
        self._check_secret_hash(params, username)
        user = self._checked_password(username, auth.get("PASSWORD"))
        if user.status is UserStatus.UNCONFIRMED:
            raise CognitoFault("UserNotConfirmedException", "User is not confirmed.")
        if user.status is UserStatus.RESET_REQUIRED:
            raise CognitoFault("PasswordResetRequiredException", "Password reset required for the user")
        if user.status is UserStatus.FORCE_CHANGE_PASSWORD:
            result = self._new_password_challenge(user)
        else:
            result = self._after_password(user)
        self.save()
        return result

    def _refresh_auth(self, params: dict, auth: dict) -> dict:
        token = auth.get("REFRESH_TOKEN")
        record = self.refresh_tokens.get(token_digest(token)) if isinstance(token, str) else None
        if record is None or record["client_id"] != self.client.id:
            raise not_authorized("Invalid Refresh Token")
        if record["expires"] <= self.clock():
            raise not_authorized("Refresh Token has expired")
        # The user name Cognito assigned, not the email the user typed.
        self._check_secret_hash(params, record["sub"])
        user = self.pool.users.get(record["sub"])
        if user is None:
            raise not_authorized("Invalid Refresh Token")
        if not user.enabled:
            raise not_authorized("User is disabled.")
        access, identity, expires_in = self._tokens(user, record["origin_jti"], record["auth_time"],
                                                    record.get("scope") or ACCESS_SCOPE)
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
            raise not_authorized()
        self._check_password_policy(params.get("ProposedPassword"))
        user.password = hash_password(params["ProposedPassword"])
        user.last_modified_date = self._now()
        self.save()
        return {}

    def forgot_password(self, params: dict) -> dict:
        user = self._user_asking_for_a_code(params)
        if user is None:
            return {"CodeDeliveryDetails": self._delivery(str(params.get("Username")))}
        if not user.enabled:
            raise not_authorized("User is disabled.")
        if user.status is UserStatus.FORCE_CHANGE_PASSWORD:  # an admin's invitation comes first
            raise not_authorized("User password cannot be reset in the current state.")
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
        user.last_modified_date = self._now()
        self.save()
        return {}

    def get_user(self, params: dict) -> dict:
        user = self._user_for_access_token(params.get("AccessToken"))
        return {
            "Username": user.username,
            "UserAttributes": [{"Name": k, "Value": v} for k, v in user.attribute_lookup.items()],
            "MFAOptions": [],
            **self._mfa_settings(user),
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
        self._remove_user(user)
        self.save()
        return {}

    def _remove_user(self, user: CognitoIdpUser) -> None:
        """The user and everything kept for them: tokens, codes, TOTP secrets, groups, sessions."""
        del self.pool.users[user.username]
        self._revoke_user_tokens(user.id)
        self.codes = {k: v for k, v in self.codes.items() if not k.endswith(":" + user.id)}
        self.software_tokens.pop(user.id, None)
        self.temporary_passwords.pop(user.id, None)
        self.auth_sessions = {k: v for k, v in self.auth_sessions.items() if v.sub != user.id}
        self._forget_hosted_ui(user.id)
        for group in list(user.groups):
            self._unlink(user, group)
