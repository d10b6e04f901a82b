"""The local Cognito's side of SRP sign-in: InitiateAuth USER_SRP_AUTH and its PASSWORD_VERIFIER step.

The maths is ``server/srp.py`` (Cognito's variant of SRP-6a, shared with the server's client side and
the remembered devices' DEVICE_SRP_AUTH to come). Here is what the pool adds:

- **Verifiers.** Each user's record keeps an SRP salt and verifier beside the scrypt hash
  (``user_extras.srp_verifier``, ``srp`` in the saved record), made whenever a password is set
  (sign-up, change, reset, an admin's, a temporary one, a new one chosen in a challenge:
  ``keep_verifier``). A verifier also names the hash it was made with, so one that a later password
  left behind is never used. A user from before verifiers, or whose password changed some other
  way, gets one the next time their password is checked in full (USER_PASSWORD_AUTH, the hosted
  UI's sign-in form); until then SRP refuses them as it refuses a wrong password.
- **InitiateAuth USER_SRP_AUTH** (with USERNAME, SRP_A and SECRET_HASH) answers PASSWORD_VERIFIER
  with SALT, SRP_B, SECRET_BLOCK, USERNAME and USER_ID_FOR_SRP (the user's sub) and no Session: as
  Cognito does, the SECRET_BLOCK carries the sign-in to its next step. With
  PreventUserExistenceErrors on, an unknown user (or one without a verifier) gets a challenge
  that looks the same (a salt and an id that stay the same for the same name, in this process) and
  then "Incorrect username or password.", as a wrong password does.
- **RespondToAuthChallenge PASSWORD_VERIFIER** checks SECRET_HASH on the USERNAME sent (the sub, as
  clients send USER_ID_FOR_SRP, or the email), TIMESTAMP in Cognito's format ("Tue Dec 2 06:05:01
  UTC 2026"), and PASSWORD_CLAIM_SIGNATURE; a secret block answers once and lasts three minutes.
  Then the user's state is looked at as after a password: disabled, unconfirmed, reset required,
  NEW_PASSWORD_REQUIRED, the MFA challenge, or tokens.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import re
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from moto.cognitoidp.models import CognitoIdpUser, UserStatus

from local_cognito.faults import CognitoFault, invalid_parameter, not_authorized
from local_cognito.user_extras import set_srp_verifier, srp_verifier
from server import srp

if TYPE_CHECKING:
    from local_cognito.pool import UserPool
    from local_cognito.sign_in import SignInOperations

PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
CHALLENGE_SECONDS = 180  # as the other challenges: Cognito's default AuthSessionValidity
# Cognito's TIMESTAMP ("EEE MMM d HH:mm:ss z yyyy", in English): the day of the month unpadded.
TIMESTAMP = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] UTC [0-9]{4}"
)


def _hash_tag(password_hash: str | None) -> str:
    """What a verifier keeps of the password hash it was made with: enough to tell it apart."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def keep_verifier(pool: UserPool, user: CognitoIdpUser, password: str) -> None:
    """A new SRP salt and verifier for ``user``, whose password (now ``user.password``) is ``password``."""
    salt = srp.new_salt()
    value = srp.verifier(srp.pool_name(pool.pool_id), user.id, password, salt)
    set_srp_verifier(user, {"salt": srp.pad_hex(salt), "verifier": f"{value:x}", "for": _hash_tag(user.password)})


def current_verifier(user: CognitoIdpUser) -> dict[str, str] | None:
    """The user's verifier, if it was made with the password they have now."""
    record = srp_verifier(user)
    if not isinstance(record, dict) or record.get("for") != _hash_tag(user.password):
        return None
    return record


def ensure_verifier(pool: UserPool, user: CognitoIdpUser, password: str) -> None:
    """After ``password`` was checked in full: a verifier for a user who lacks a current one."""
    if current_verifier(user) is None:
        keep_verifier(pool, user, password)


@dataclasses.dataclass
class PendingClaim:
    """A PASSWORD_VERIFIER challenge sent, waiting for its claim."""

    sub: str | None  # None: no such user (or no verifier), so no claim can succeed
    user_id: str
    server: srp.ServerSession
    large_a: int
    expires: float
    device_key: Any = None  # InitiateAuth's DEVICE_KEY (``devices.py``)


class SrpSignIn:
    """USER_SRP_AUTH and PASSWORD_VERIFIER for the pool, going on as ``sign_in`` does after a password."""

    def __init__(self, pool: UserPool, sign_in: SignInOperations) -> None:
        self.pool = pool
        self.sign_in = sign_in
        self.pending: dict[str, PendingClaim] = {}  # by SECRET_BLOCK; in memory only
        self._decoy_key = secrets.token_bytes(32)  # this process's: unknown users' salts and ids

    def initiate(self, params: dict, auth: dict) -> dict:
        username = auth.get("USERNAME")
        if not isinstance(username, str) or not username:
            raise invalid_parameter("Missing required parameter USERNAME")
        self.pool.check_secret_hash(params, username)
        srp_a = auth.get("SRP_A")
        try:
            large_a = int(srp_a, 16) if isinstance(srp_a, str) else 0
        except ValueError:
            large_a = 0
        if large_a % srp.N == 0:
            raise invalid_parameter("Invalid SRP_A value" if srp_a else "Missing required parameter SRP_A")
        user = self.pool.find_user(username)
        record = current_verifier(user) if user is not None else None
        if user is None or record is None:
            user_id, salt_hex, value, sub = self._decoy(username)
        else:
            user_id, salt_hex, value, sub = user.id, record["salt"], int(record["verifier"], 16), user.id
        now = self.pool.clock()
        self.pending = {k: p for k, p in self.pending.items() if p.expires > now}
        secret_block = base64.b64encode(secrets.token_bytes(96)).decode()
        server = srp.ServerSession(value)
        self.pending[secret_block] = PendingClaim(
            sub, user_id, server, large_a, now + CHALLENGE_SECONDS, auth.get("DEVICE_KEY")
        )
        return {
            "ChallengeName": PASSWORD_VERIFIER,
            "ChallengeParameters": {
                "SALT": salt_hex,
                "SRP_B": f"{server.large_b:x}",
                "SECRET_BLOCK": secret_block,
                "USERNAME": user_id,
                "USER_ID_FOR_SRP": user_id,
            },
        }

    def _decoy(self, username: str) -> tuple[str, str, int, None]:
        """An id, a salt and a verifier for a name with no verifier: the same each time in this
        process, so asking twice tells nothing."""
        seed = hmac.new(self._decoy_key, username.lower().encode(), hashlib.sha256).digest()
        user_id = str(uuid.UUID(bytes=seed[:16], version=4))
        salt = int.from_bytes(seed[16:], "big")
        return user_id, srp.pad_hex(salt), pow(srp.G, int.from_bytes(seed, "big"), srp.N), None

    def respond(self, params: dict) -> dict:
        pool = self.pool
        responses = params.get("ChallengeResponses")
        if not isinstance(responses, dict) or not isinstance(responses.get("USERNAME"), str):
            raise invalid_parameter("Missing required parameter USERNAME")
        username = responses["USERNAME"]
        pool.check_secret_hash({"SecretHash": responses.get("SECRET_HASH")}, username)
        for name in ("PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"):
            if not isinstance(responses.get(name), str) or not responses[name]:
                raise invalid_parameter(f"Missing required parameter {name}")
        if not TIMESTAMP.fullmatch(responses["TIMESTAMP"]):
            raise invalid_parameter("TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.")
        pending = self.pending.pop(responses["PASSWORD_CLAIM_SECRET_BLOCK"], None)
        if pending is None or pending.expires <= pool.clock():
            raise not_authorized("Invalid session for the user.")
        user = pool.users.get(pending.sub) if pending.sub is not None else None
        if user is not None and pool.find_user(username) is not user:
            user = None  # the claim is for another user than the one named
        key = pending.server.key(pending.large_a)
        if key is None:  # only for an SRP_A of 0 mod N, which ``initiate`` refused
            raise not_authorized()
        expected = srp.claim_signature(
            key,
            srp.pool_name(pool.pool_id),
            pending.user_id,
            responses["PASSWORD_CLAIM_SECRET_BLOCK"],
            responses["TIMESTAMP"],
        )
        if user is None or not hmac.compare_digest(expected.encode(), _text(responses["PASSWORD_CLAIM_SIGNATURE"])):
            raise not_authorized()
        # amazon-cognito-identity-js sends the device's key here (it knows it by USER_ID_FOR_SRP).
        return self._after_claim(user, responses.get("DEVICE_KEY") or pending.device_key)

    def _after_claim(self, user: CognitoIdpUser, device_key: Any = None) -> dict:
        """As after a correct password (``sign_in._password_auth``)."""
        if not user.enabled:
            raise not_authorized("User is disabled.")
        if user.status is UserStatus.UNCONFIRMED:
            raise CognitoFault("UserNotConfirmedException", "User is not confirmed.")
        if user.status is UserStatus.RESET_REQUIRED:
            raise CognitoFault("PasswordResetRequiredException", "Password reset required for the user")
        if user.status is UserStatus.FORCE_CHANGE_PASSWORD:
            result = self.sign_in.new_password_challenge(user)
        else:
            result = self.sign_in.after_password(user, device_key)
        self.pool.save()
        return result


def _text(value: Any) -> bytes:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else b""
