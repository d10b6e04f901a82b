"""The local user pool's core: its records, keeping them, and what the operation groups share.

``UserPool`` holds moto's records of the pool and its app client, and the pool's records, kept in its
database (``database.py``) and read as they are needed: ``users`` and ``groups`` as moto's objects
(``user_table.py``), pending ``codes``, ``refresh_tokens``, ``software_tokens`` (TOTP secrets) and
``temporary_passwords`` (``tables.py``); beside them, in memory only, sign-in challenges and the hosted
UI's codes and sessions. The operation groups (``accounts``, ``sign_in``, ``mfa``, ``admin``,
``oauth``) each take a ``UserPool`` and use what more than one of them needs: user lookup, the checks
(app client, SECRET_HASH, password policy, attributes, access tokens), emailed codes, the password
check (``passwords.py``) and the tokens of a completed sign-in, removing a user, group membership,
MFA settings.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import hmac
import secrets
import string
import time
import uuid
from typing import Any, Callable, Iterator

from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpGroup, CognitoIdpUser
from moto.core import DEFAULT_ACCOUNT_ID

from local_cognito.faults import CognitoFault, not_authorized
from local_cognito.migration import open_database
from local_cognito.oauth.records import AuthorizationCode, HostedSession
from local_cognito.passwords import Passwords, hash_password
from local_cognito.pool_settings import (
    CLIENT_CONFIG,
    MAX_CODE_FAILURES,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PASSWORD_PATTERN,
    POOL_CONFIG,
    POOL_NAME,
    REFRESH_TOKEN_SECONDS,
    REGION,
)
from local_cognito.schema import checked_attributes, pool_schema, required_of
from server.secret_hash import secret_hash
from local_cognito.srp import ensure_verifier
from local_cognito.store import DataFolder, from_timestamp, token_digest
from local_cognito.tables import JsonRecords, Records
from local_cognito.tokens import ACCESS_SCOPE, InvalidToken, TokenSigner
from local_cognito.totp import SoftwareToken
from local_cognito.transaction import Transaction, begin_writing, mail_log, written

# SOFTWARE_TOKEN_MFA: the operation groups import it from here too.
from local_cognito.mfa_methods import MFA_METHODS, SOFTWARE_TOKEN_MFA, methods_on, preferred_method  # noqa: F401
from local_cognito.user_table import GroupTable, UserTable, federated_sub
from server.logs import printable


@dataclasses.dataclass
class AuthSession:
    """A sign-in waiting for the answer to one challenge (see ``sign_in.py``)."""

    sub: str
    challenge: str
    expires: float
    failures: int = 0
    spent: bool = False
    code: str | None = None  # the code an SMS_MFA or EMAIL_OTP challenge sent (``mfa_codes.py``)
    choices: tuple[str, ...] = ()  # the methods a SELECT_MFA_TYPE challenge offered
    device_key: str | None = None  # the DEVICE_KEY the sign-in named (``devices.py``)


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


class UserPool:
    """One user pool with one app client (with a secret), kept in ``data_dir``; its schema requires
    ``required_attributes`` (standard attributes) besides the email."""

    def __init__(
        self,
        data_dir: str,
        *,
        pinned_code: str | None = None,
        access_token_seconds: int = 3600,
        clock: Callable[[], float] = time.time,
        required_attributes: tuple[str, ...] = (),
    ) -> None:
        self.store = DataFolder(data_dir)
        self.clock = clock  # tokens too are on it, whichever clock it is given now or later:
        self.signer = TokenSigner(self.store.key_path, access_token_seconds, clock=lambda: self.clock())
        self.pinned_code = pinned_code
        self.issuer = ""  # set by the HTTP layer once the endpoint's URL is known
        self.backend = CognitoIdpBackend(REGION, DEFAULT_ACCOUNT_ID)
        self.passwords = Passwords()
        self.db = open_database(self.store)
        self.records = Records(self.db, begin=lambda: begin_writing(self.db))
        self.next_prune = 0.0  # when a commit next deletes expired records (transaction.py)
        groups = GroupTable(self.records, lambda: self.pool.id)
        self._users = UserTable(self.records, lambda: self.pool.id, groups)
        # "<purpose>:<sub>" -> {"code", "expires", "failures"}
        self.codes = JsonRecords(
            self.records,
            "codes",
            ("sub", "expires"),
            derive=lambda key, record: (key.partition(":")[2], record["expires"]),
        )
        # token digest -> {"client_id", "sub", "origin_jti", "auth_time", "expires", ...}; a family is
        # the tokens of one sign-in (their origin_jti)
        self.refresh_tokens = JsonRecords(
            self.records,
            "refresh_tokens",
            ("sub", "family", "expires"),
            derive=lambda key, r: (r["sub"], r["origin_jti"], r["expires"]),
        )
        self.software_tokens = JsonRecords(
            self.records, "software_tokens", load=SoftwareToken.from_saved, dump=dataclasses.asdict
        )  # sub -> TOTP secrets and settings
        self.temporary_passwords = JsonRecords(self.records, "temporary_passwords")  # sub -> expiry
        self.auth_sessions: dict[str, AuthSession] = {}  # sign-in challenges; in memory only
        # The hosted UI's authorization codes (live and spent) and browser sessions, by the SHA-256
        # of the code or session id; in memory only, so a restart signs browsers out of it.
        self.authorization_codes: dict[str, AuthorizationCode] = {}
        self.spent_codes: dict[str, dict] = {}
        self.hosted_sessions: dict[str, HostedSession] = {}
        self.decoy_hash = hash_password(secrets.token_urlsafe(16))
        # What the pool allows (``LocalUserPool.configure_account_features``): every MFA method, and
        # new emails held until verified, until start-up says otherwise.
        self.mfa_methods_allowed: frozenset[str] = frozenset(MFA_METHODS)
        self.email_updates = "verify-first"
        self.open_transaction: Transaction | None = None  # see transaction.py
        self._restore(groups, required_attributes)

    # --- the pool, its client, and saving ------------------------------------------------------

    def _restore(self, groups: GroupTable, required_attributes: tuple[str, ...]) -> None:
        # moto's record of the pool, whose users and groups are the database's (the operation
        # groups use them as ``pool_id``, ``users`` and ``groups``). Settings are copied: moto keeps
        # nested parts. The schema comes from the configuration at every start, not from the database.
        self.pool = self.backend.create_user_pool(
            POOL_NAME, dict(copy.deepcopy(POOL_CONFIG), Schema=pool_schema(required_attributes))
        )
        self.pool.token_mfa_config = {"Enabled": True}
        self.pool.users, self.pool.groups = self._users, groups
        self.client = self.backend.create_user_pool_client(self.pool.id, True, copy.deepcopy(CLIENT_CONFIG))
        # A pool id shaped like Cognito's ("us-east-1_AbC123xYz"), kept from run to run, as are the
        # client id and secret, so a configured client stays valid.
        self.backend.user_pools.pop(self.pool.id)
        self.pool.clients.pop(self.client.id)
        saved = self.db.meta("pool_id")
        if saved is None:
            alphabet = string.ascii_letters + string.digits
            with written(self.db):
                self.db.set_meta("pool_id", f"{REGION}_" + "".join(secrets.choice(alphabet) for _ in range(9)))
                self.db.set_meta("client_id", self.client.id)
                self.db.set_meta("client_secret", self.client.secret)
        self.pool.id = self.db.meta("pool_id")
        self.client.id, self.client.secret = self.db.meta("client_id"), self.db.meta("client_secret")
        self.backend.user_pools[self.pool.id] = self.pool
        self.client.user_pool_id = self.pool.id
        self.pool.clients[self.client.id] = self.client

    # --- keeping changes: all or nothing (see transaction.py) ---------------------------------------

    def begin(self) -> Transaction:
        """A transaction for the changes about to be made; the caller commits or rolls it back."""
        if self.open_transaction is not None:
            raise RuntimeError("a transaction of the local pool is already open")
        self.open_transaction = Transaction(self)
        return self.open_transaction

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """The block's changes, committed at its end (StorageUnavailable if they cannot be written)
        or rolled back if it fails. A CognitoFault is an answer, not a failure: what the operation
        saved before it (a wrong code's count) is committed. Within an open transaction, part of it."""
        if self.open_transaction is not None:
            yield
            return
        transaction = self.begin()
        try:
            yield
        except CognitoFault:
            transaction.commit()
            raise
        except BaseException:
            transaction.roll_back()
            raise
        transaction.commit()

    def save(self) -> None:
        """Keep the operation's changes: when its transaction commits, or now outside one."""
        if self.open_transaction is not None:
            self.open_transaction.changed = True
            return
        transaction = self.begin()
        transaction.changed = True
        transaction.commit()

    def send_email(self, address: str, text: str, *arguments: Any) -> None:
        """ "Email" ``text`` % ``arguments`` to ``address``: to the console log, once the transaction
        commits (never for a change rolled back), or now outside one."""
        # The address as typed may hold anything; the console must not (server.logs.printable).
        text, arguments = "Email to %s: " + text, (printable(address), *arguments)
        if self.open_transaction is not None:
            self.open_transaction.emails.append((text, arguments))
        else:
            mail_log.warning(text, *arguments)

    def new_code(self) -> str:
        """A six-digit code, or the pinned one (LOCAL_COGNITO_CODE)."""
        return self.pinned_code or f"{secrets.randbelow(10**6):06d}"

    @property
    def client_id(self) -> str:
        return self.client.id

    @property
    def client_secret(self) -> str:
        return self.client.secret

    @property
    def pool_id(self) -> str:
        return self.pool.id

    @property
    def users(self) -> UserTable:
        """The users by their user name, which in this pool is their ``sub``."""
        return self._users

    @property
    def groups(self) -> GroupTable:
        """The groups by name."""
        return self._users.groups

    def now(self) -> datetime.datetime:
        return from_timestamp(self.clock())

    # --- checks shared by the operations --------------------------------------------------------

    def check_client(self, params: dict) -> None:
        if params.get("ClientId") != self.client.id:
            raise CognitoFault("ResourceNotFoundException", "User pool client does not exist.")

    def check_secret_hash(self, params: dict, username: str | None) -> None:
        given = params.get("SecretHash") or (params.get("AuthParameters") or {}).get("SECRET_HASH")
        if not given:
            raise not_authorized(f"Client {self.client.id} is configured with secret but SECRET_HASH was not received")
        expected = secret_hash(username or "", self.client.id, self.client.secret)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise not_authorized(f"Unable to verify secret hash for client {self.client.id}")

    def find_user(self, username: str | None) -> CognitoIdpUser | None:
        """By user name (the sub) or by email, case-insensitively as the pool is configured
        (``CaseSensitive: false``): ASCII letters in any case, every other character exactly, so
        two different addresses are never one account ("straße" is not "strasse")."""
        if not username:
            return None
        if "@" not in username:  # a sub, or a federated user's name; an email always has one, they never
            user = self.users.get(username)
            if user is None and "_" in username:  # "LoginWithAmazon_amzn1.account..."
                user = self.users.get(federated_sub(self.pool_id, username))
                return user if user is not None and user.username == username else None
            return user
        return self.users.find_by_email(username)

    def check_password_policy(self, password: Any) -> None:
        if not isinstance(password, str) or not PASSWORD_PATTERN.match(password):
            raise CognitoFault(
                "InvalidParameterException",
                "1 validation error detected: Value at 'password' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$",
            )
        if len(password) < MIN_PASSWORD_LENGTH:
            raise CognitoFault(
                "InvalidPasswordException", "Password did not conform with policy: Password not long enough"
            )
        if len(password) > MAX_PASSWORD_LENGTH:
            raise CognitoFault("InvalidPasswordException", "Password did not conform with policy: Password is too long")

    @property
    def required_attributes(self) -> tuple[str, ...]:
        """The attributes the pool's schema requires (besides the email, which is the user name)."""
        return required_of(self.pool)

    @staticmethod
    def checked_attributes(attribute_list: Any) -> dict[str, str]:
        """A ``UserAttributes`` list as a dict, checked against the schema (``schema.py``)."""
        return checked_attributes(attribute_list)

    def user_for_access_token(self, token: Any) -> CognitoIdpUser:
        return self.access_token_user_and_claims(token)[0]

    def access_token_user_and_claims(self, token: Any) -> tuple[CognitoIdpUser, dict]:
        """The user an access token belongs to and its claims, checked as GetUser checks them:
        signature, expiry, client, revocation, and that the user still exists and is enabled."""
        if not isinstance(token, str):
            raise not_authorized("Invalid Access Token")
        try:
            claims = self.signer.verify_access_token(token)
        except InvalidToken as invalid:
            raise not_authorized("Access Token has expired" if invalid.expired else "Invalid Access Token") from None
        if claims.get("client_id") != self.client.id:
            raise not_authorized("Invalid Access Token")
        if not self.refresh_tokens.any_where("family", claims.get("origin_jti")):
            raise not_authorized("Access Token has been revoked")
        user = self.users.get(claims["sub"])
        if user is None:
            raise not_authorized("Access Token has been revoked")
        if not user.enabled:
            raise not_authorized("User is disabled.")
        return user, claims

    # --- codes ----------------------------------------------------------------------------------

    def send_code(self, user: CognitoIdpUser, purpose: str, lifetime: int) -> dict:
        """A new ``purpose`` code ("signup" or "reset") for ``user``, "emailed" to the console log;
        answers where it went, as CodeDeliveryDetails."""
        code = self.new_code()
        self.codes[f"{purpose}:{user.id}"] = {"code": code, "expires": self.clock() + lifetime}
        email = user.attribute_lookup.get("email", "")
        what = "confirmation" if purpose == "signup" else "password reset"
        self.send_email(email, "your %s code is %s", what, code)
        return self.delivery(email)

    @staticmethod
    def delivery(email: str) -> dict:
        return {"Destination": _masked(email), "DeliveryMedium": "EMAIL", "AttributeName": "email"}

    def use_code(self, user: CognitoIdpUser | None, purpose: str, given: Any) -> None:
        """Spends ``user``'s ``purpose`` code if ``given`` is it; CognitoFault otherwise. Every
        refusal writes to the database once (a wrong guess counts against the code), whether or not
        there is a user or a code: the time taken, or a folder that cannot be written, tells nothing."""
        record = self.codes.get(f"{purpose}:{user.id}") if user else None
        try:
            if record is not None and record.get("failures", 0) >= MAX_CODE_FAILURES:
                # Like Cognito: after a few wrong guesses even the right code is refused until a new
                # one is asked for, so six digits cannot be guessed.
                raise CognitoFault("LimitExceededException", "Attempt limit exceeded, please try after some time.")
            if (
                record is None
                or not isinstance(given, str)
                or not hmac.compare_digest(record["code"].encode(), given.encode())
            ):
                if record is not None:
                    record["failures"] = record.get("failures", 0) + 1
                raise CognitoFault("CodeMismatchException", "Invalid verification code provided, please try again.")
            if record["expires"] <= self.clock():
                raise CognitoFault("ExpiredCodeException", "Invalid code provided, please request a code again.")
        except CognitoFault:
            self.save()
            raise
        del self.codes[f"{purpose}:{user.id}"]

    # --- signing in: the password check and the tokens ------------------------------------------

    def checked_password(self, username: Any, password: Any) -> CognitoIdpUser:
        """The enabled user whose password this is; NotAuthorized, the same for an unknown user and
        a wrong password, otherwise. The caller looks at the user's status."""
        user = self.find_user(username if isinstance(username, str) else None)
        # An unknown user costs the same hash as a known one: the time taken tells nothing either.
        stored = user.password if user is not None else self.decoy_hash
        if not self.passwords.matches(password if isinstance(password, str) else "", stored) or user is None:
            raise not_authorized()
        if not user.enabled:
            raise not_authorized("User is disabled.")
        ensure_verifier(self, user, password)  # for users from before SRP verifiers (srp.py)
        return user

    def issue_tokens(
        self, user: CognitoIdpUser, origin_jti: str, auth_time: int, scope: str = ACCESS_SCOPE, nonce: str | None = None
    ) -> tuple[str, str, int]:
        """(access token, id token, lifetime in seconds) for ``user``, tied to the refresh token
        whose ``origin_jti`` they carry."""
        return self.signer.issue(
            issuer=self.issuer,
            client_id=self.client.id,
            sub=user.id,
            username=user.username,
            attributes=user.attribute_lookup,
            groups=sorted(g.group_name for g in user.groups),
            origin_jti=origin_jti,
            auth_time=auth_time,
            scope=scope,
            nonce=nonce,
        )

    def complete_sign_in(
        self, user: CognitoIdpUser, *, scope: str | None = None, nonce: str | None = None, auth_time: int | None = None
    ) -> dict:
        """Tokens for a completed sign-in, and the refresh token's record. The hosted UI gives the
        scopes granted, the authorize request's nonce and when the user authenticated; a refresh
        keeps the scopes (whichever way it is asked for)."""
        refresh_token = secrets.token_urlsafe(96)
        origin_jti = str(uuid.uuid4())
        now = int(self.clock())
        auth_time = now if auth_time is None else auth_time
        record = {
            "client_id": self.client.id,
            "sub": user.id,
            "origin_jti": origin_jti,
            "auth_time": auth_time,
            "expires": now + REFRESH_TOKEN_SECONDS,
        }
        if scope is not None:
            record["scope"] = scope
        self.refresh_tokens[token_digest(refresh_token)] = record
        access, identity, expires_in = self.issue_tokens(user, origin_jti, auth_time, scope or ACCESS_SCOPE, nonce)
        return {
            "ChallengeParameters": {},
            "AuthenticationResult": {
                "AccessToken": access,
                "IdToken": identity,
                "RefreshToken": refresh_token,
                "ExpiresIn": expires_in,
                "TokenType": "Bearer",
            },
        }

    def revoke_user_tokens(self, sub: str) -> None:
        """Every refresh token of the user, and so the access tokens issued with them."""
        self.refresh_tokens.delete_where("sub", sub)

    # --- users and groups -----------------------------------------------------------------------

    def remove_user(self, user: CognitoIdpUser) -> None:
        """The user and everything kept for them: tokens, codes, TOTP secrets, groups, sessions,
        and the hosted UI's sessions and codes."""
        del self.users[user.id]
        self.revoke_user_tokens(user.id)
        self.codes.delete_where("sub", user.id)
        self.software_tokens.pop(user.id, None)
        self.temporary_passwords.pop(user.id, None)
        self.auth_sessions = {k: v for k, v in self.auth_sessions.items() if v.sub != user.id}
        self.hosted_sessions = {k: s for k, s in self.hosted_sessions.items() if s.sub != user.id}
        self.authorization_codes = {k: c for k, c in self.authorization_codes.items() if c.sub != user.id}
        for group in list(user.groups):
            self.unlink(user, group)

    @staticmethod
    def link(user: CognitoIdpUser, group: CognitoIdpGroup) -> None:
        """``user`` in ``group``: their ``groups`` are the memberships kept (``user_table.py``)."""
        user.groups.add(group)

    @staticmethod
    def unlink(user: CognitoIdpUser, group: CognitoIdpGroup) -> None:
        user.groups.discard(group)

    # --- what users see of their MFA ------------------------------------------------------------

    def mfa_enabled(self, user: CognitoIdpUser) -> bool:
        """Whether TOTP MFA is on for ``user`` (every method that is: ``mfa_methods.methods_on``)."""
        token = self.software_tokens.get(user.id)
        return bool(token and token.enabled and token.secret)

    def mfa_settings(self, user: CognitoIdpUser) -> dict:
        """The MFA fields of GetUser and AdminGetUser."""
        settings: dict[str, Any] = {"UserMFASettingList": methods_on(self, user)}
        preferred = preferred_method(self, user)
        if preferred is not None:
            settings["PreferredMfaSetting"] = preferred
        return settings
