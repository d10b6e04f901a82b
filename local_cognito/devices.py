"""The local Cognito's device tracking ("remembered devices"), as Cognito documents it (moto has none).

The pool's DeviceConfiguration is ``configuration`` (None: device tracking off, as a pool without
one). Start-up sets it from LOCAL_COGNITO_DEVICE_TRACKING: ``opt-in`` (the default:
ChallengeRequiredOnNewDevice and DeviceOnlyRememberedOnUserPrompt both true), ``always`` (a
confirmed device is remembered at once) or ``off``.

- **NewDeviceMetadata.** A sign-in through InitiateAuth (USER_PASSWORD_AUTH, or USER_SRP_AUTH and
  PASSWORD_VERIFIER) and its challenges that ends in tokens, on a pool that tracks devices, answers a
  new DeviceKey (``<region>_<uuid>``) and the user's DeviceGroupKey with them, unless it was made
  with the DEVICE_KEY of one of the user's confirmed devices (in InitiateAuth's AuthParameters or,
  as amazon-cognito-identity-js sends it, in PASSWORD_VERIFIER's responses). The key is the user's, kept in
  memory for an hour, until ConfirmDevice keeps the device.
- **ConfirmDevice** (access token, DeviceKey, DeviceSecretVerifierConfig: the SRP verifier and
  salt the client made from a secret of its own, base64 of their bytes; DeviceName) keeps the
  verifier and answers UserConfirmationNecessary: true where DeviceOnlyRememberedOnUserPrompt is,
  and the device stays ``not_remembered`` until UpdateDeviceStatus says ``remembered``; otherwise
  it is remembered at once. A device confirmed twice is DeviceKeyExistsException.
- **DEVICE_SRP_AUTH.** Where the user's MFA would be asked and the sign-in names a remembered device
  (and ChallengeRequiredOnNewDevice is true: "a remembered device can sign in with device
  authentication instead of SMS and TOTP factors"), the challenge is DEVICE_SRP_AUTH instead.
  Its answer (USERNAME, DEVICE_KEY, SRP_A) gets DEVICE_PASSWORD_VERIFIER with SRP_B, SALT and
  SECRET_BLOCK, and the claim (PASSWORD_CLAIM_SIGNATURE over the device group key, the device key,
  the secret block and TIMESTAMP) is checked against the device's verifier with ``server/srp.py``,
  the device group key and device key standing for the pool name and user name. A device not
  remembered, forgotten or not the user's is asked for the MFA code as any new device.
- **GetDevice, ListDevices, ForgetDevice, UpdateDeviceStatus** (access token) and
  **AdminListDevices, AdminForgetDevice** (IAM) work on the user's confirmed devices; an unknown
  key is ResourceNotFoundException. With device tracking off, ConfirmDevice and UpdateDeviceStatus
  are InvalidUserPoolConfigurationException (botocore's model lists it for every device operation)
  and a DEVICE_KEY in a sign-in is ignored; devices confirmed before can still be listed and
  forgotten.

Devices are kept in the database's ``devices`` table, by device key, each one user's, and go with
their user. Device challenges' SRP state is kept in memory, as the sign-in sessions are.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import secrets
import uuid
from typing import TYPE_CHECKING, Any, Iterator

from moto.cognitoidp.models import CognitoIdpUser

from local_cognito.faults import CognitoFault, invalid_parameter, not_authorized
from local_cognito.pool import AuthSession, UserPool
from local_cognito.srp import TIMESTAMP
from local_cognito.tables import ABSENT, JsonRecords
from server import srp

if TYPE_CHECKING:
    from local_cognito.sign_in import SignInOperations

DEVICE_SRP_AUTH = "DEVICE_SRP_AUTH"
DEVICE_PASSWORD_VERIFIER = "DEVICE_PASSWORD_VERIFIER"
DEVICE_CHALLENGES = (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER)
REMEMBERED, NOT_REMEMBERED = "remembered", "not_remembered"
OPT_IN = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}
ALWAYS = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}
TRACKING = {"opt-in": OPT_IN, "always": ALWAYS, "off": None}
MAX_LIST = 60  # ListDevices' Limit (QueryLimitType): 0 to 60
MAX_DEVICE_NAME = 1024
NEW_KEY_SECONDS = 3600  # a new device key may be confirmed within the hour (an access token's life)
MAX_NEW_KEYS = 100_000  # new keys kept at most (some 10 MB): a burst of sign-ins forgets the oldest first


def _missing(name: str) -> CognitoFault:
    return invalid_parameter(f"Missing required parameter {name}")


def _not_found() -> CognitoFault:
    return CognitoFault("ResourceNotFoundException", "Device does not exist.")


@dataclasses.dataclass
class DeviceClaim:
    """A DEVICE_PASSWORD_VERIFIER challenge sent, waiting for its claim."""

    device_key: str
    server: srp.ServerSession
    large_a: int
    secret_block: str


class DeviceOperations:
    """Device tracking: the device operations, and the device side of a sign-in (``sign_in.py``)."""

    def __init__(self, pool: UserPool) -> None:
        self.pool = pool
        self.configuration: dict[str, bool] | None = dict(OPT_IN)
        # device key -> {"sub", "group", "salt", "verifier", "name", "status", "created",
        # "modified", "authenticated"}
        self.devices = JsonRecords(pool.records, "devices", ("sub",), derive=lambda key, record: (record["sub"],))
        self.claims: dict[str, DeviceClaim] = {}  # by the DEVICE_PASSWORD_VERIFIER session; in memory
        # Keys answered in NewDeviceMetadata, not confirmed yet: key -> (sub, until when); in memory,
        # so sign-ins that never confirm their device write nothing.
        self.new_keys: dict[str, tuple[str, float]] = {}

    def configure(self, tracking: str) -> None:
        """LOCAL_COGNITO_DEVICE_TRACKING: opt-in, always or off."""
        chosen = TRACKING[tracking]
        self.configuration = None if chosen is None else dict(chosen)

    # --- the sign-in's side -----------------------------------------------------------------------

    def remembered(self, user: CognitoIdpUser, device_key: Any) -> dict | None:
        """The user's remembered device ``device_key``, when the pool tracks devices."""
        record = self.known(user, device_key)
        return record if record is not None and record["status"] == REMEMBERED else None

    def known(self, user: CognitoIdpUser, device_key: Any) -> dict | None:
        """The user's confirmed device ``device_key``, when the pool tracks devices."""
        if self.configuration is None or not isinstance(device_key, str):
            return None
        record = self.devices.get(device_key)
        return record if record is not None and record["sub"] == user.id else None

    def replaces_mfa(self, user: CognitoIdpUser, device_key: Any) -> bool:
        """Whether a remembered device signs in instead of the MFA step."""
        return (
            self.remembered(user, device_key) is not None
            and self.configuration is not None
            and self.configuration["ChallengeRequiredOnNewDevice"]
        )

    def signed_in(self, user: CognitoIdpUser, result: dict, device_key: Any) -> dict:
        """Tokens as a sign-in answers them: with NewDeviceMetadata for a device the user has not
        confirmed, when the pool tracks devices; a known device's last sign-in noted."""
        if (
            "AuthenticationResult" not in result
            or self.configuration is None
            or "NewDeviceMetadata" in result["AuthenticationResult"]
        ):
            return result
        record = self.known(user, device_key)
        if record is not None:
            record["authenticated"] = self.pool.clock()
            return result
        now = self.pool.clock()
        # Oldest first (a dict keeps the order keys came in): the expired, and beyond the most kept.
        while self.new_keys:
            oldest = next(iter(self.new_keys))
            if self.new_keys[oldest][1] > now and len(self.new_keys) < MAX_NEW_KEYS:
                break
            del self.new_keys[oldest]
        key = f"{self.pool.pool_id.partition('_')[0]}_{uuid.uuid4()}"
        self.new_keys[key] = (user.id, now + NEW_KEY_SECONDS)
        result["AuthenticationResult"]["NewDeviceMetadata"] = {"DeviceKey": key, "DeviceGroupKey": self.group(user.id)}
        return result

    def group(self, sub: str) -> str:
        """The user's device group key: the same for all their devices (it is hashed with each
        device's key, not a secret)."""
        digest = hashlib.sha256(f"{self.pool.pool_id}/{sub}".encode()).digest()
        return "-" + base64.b64encode(digest[:9], b"ab").decode()

    def device_challenge(self, sign_in: SignInOperations, user: CognitoIdpUser, device_key: str) -> dict:
        """DEVICE_SRP_AUTH, in place of the MFA step."""
        answer = sign_in.start_challenge(user, DEVICE_SRP_AUTH, {"DEVICE_KEY": device_key})
        self.pool.auth_sessions[answer["Session"]].device_key = device_key
        return answer

    def respond(
        self, sign_in: SignInOperations, name: str, session: AuthSession, user: CognitoIdpUser, responses: dict
    ) -> dict:
        device_key = responses.get("DEVICE_KEY")
        if not isinstance(device_key, str) or not device_key:
            raise _missing("DEVICE_KEY")
        record = self.remembered(user, device_key)
        if device_key != session.device_key or record is None:
            session.spent = True
            raise _not_found()
        if name == DEVICE_SRP_AUTH:
            return self._srp_b(sign_in, session, user, device_key, record, responses.get("SRP_A"))
        return self._check_claim(session, user, device_key, record, responses)

    def _srp_b(
        self,
        sign_in: SignInOperations,
        session: AuthSession,
        user: CognitoIdpUser,
        device_key: str,
        record: dict,
        srp_a: Any,
    ) -> dict:
        try:
            large_a = int(srp_a, 16) if isinstance(srp_a, str) else 0
        except ValueError:
            large_a = 0
        if large_a % srp.N == 0:
            raise invalid_parameter("Invalid SRP_A value" if srp_a else "Missing required parameter SRP_A")
        session.spent = True
        server = srp.ServerSession(int(record["verifier"], 16))
        secret_block = base64.b64encode(secrets.token_bytes(96)).decode()
        answer = sign_in.start_challenge(
            user,
            DEVICE_PASSWORD_VERIFIER,
            {
                "SRP_B": f"{server.large_b:x}",
                "SALT": record["salt"],
                "SECRET_BLOCK": secret_block,
                "USERNAME": user.id,
                "DEVICE_KEY": device_key,
            },
        )
        self.pool.auth_sessions[answer["Session"]].device_key = device_key
        self.claims = {k: c for k, c in self.claims.items() if k in self.pool.auth_sessions}
        self.claims[answer["Session"]] = DeviceClaim(device_key, server, large_a, secret_block)
        return answer

    def _check_claim(
        self, session: AuthSession, user: CognitoIdpUser, device_key: str, record: dict, responses: dict
    ) -> dict:
        for name in ("PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"):
            if not isinstance(responses.get(name), str) or not responses[name]:
                raise _missing(name)
        if not TIMESTAMP.fullmatch(responses["TIMESTAMP"]):
            raise invalid_parameter("TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.")
        claim = next((c for k, c in self.claims.items() if self.pool.auth_sessions.get(k) is session), None)
        if claim is None or claim.secret_block != responses["PASSWORD_CLAIM_SECRET_BLOCK"]:
            session.failures += 1
            raise not_authorized("Invalid session for the user.")
        key = claim.server.key(claim.large_a)
        expected = srp.claim_signature(
            key or b"", record["group"], device_key, claim.secret_block, responses["TIMESTAMP"]
        )
        given = responses["PASSWORD_CLAIM_SIGNATURE"].encode("utf-8", "surrogatepass")
        if key is None or not hmac.compare_digest(expected.encode(), given):
            session.failures += 1
            raise not_authorized()
        session.spent = True
        record["authenticated"] = self.pool.clock()
        return self.pool.complete_sign_in(user)

    # --- the operations ---------------------------------------------------------------------------

    def _tracking(self) -> dict[str, bool]:
        if self.configuration is None:
            raise CognitoFault(
                "InvalidUserPoolConfigurationException", "Device tracking is not enabled for this user pool."
            )
        return self.configuration

    def _owned(self, user: CognitoIdpUser, params: dict) -> tuple[str, dict]:
        key = params.get("DeviceKey")
        if not isinstance(key, str) or not key:
            raise _missing("DeviceKey")
        record = self.devices.get(key)
        if record is None or record["sub"] != user.id:
            raise _not_found()
        return key, record

    def confirm_device(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        configuration = self._tracking()
        key = params.get("DeviceKey")
        if not isinstance(key, str) or not key:
            raise _missing("DeviceKey")
        if key in self.devices:
            raise CognitoFault("DeviceKeyExistsException", "Device key already exists.")
        new = self.new_keys.get(key)
        if new is None or new[0] != user.id or new[1] <= self.pool.clock():
            raise invalid_parameter("Invalid device key given.")
        config = params.get("DeviceSecretVerifierConfig")
        if not isinstance(config, dict):
            raise _missing("DeviceSecretVerifierConfig")
        try:
            verifier = int.from_bytes(base64.b64decode(config.get("PasswordVerifier") or "", validate=True), "big")
            salt = int.from_bytes(base64.b64decode(config.get("Salt") or "", validate=True), "big")
        except (binascii.Error, TypeError, ValueError):
            raise invalid_parameter("DeviceSecretVerifierConfig must hold base64 values.") from None
        if verifier % srp.N == 0 or salt == 0:
            raise invalid_parameter("DeviceSecretVerifierConfig is not a verifier and a salt.")
        name = params.get("DeviceName")
        if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= MAX_DEVICE_NAME):
            raise invalid_parameter("DeviceName must be 1 to 1024 characters.")
        prompt = configuration["DeviceOnlyRememberedOnUserPrompt"]
        now = self.pool.clock()
        del self.new_keys[key]
        self.devices[key] = {
            "sub": user.id,
            "group": self.group(user.id),
            "salt": srp.pad_hex(salt),
            "verifier": f"{verifier:x}",
            "name": name,
            "status": NOT_REMEMBERED if prompt else REMEMBERED,
            "created": now,
            "modified": now,
            "authenticated": now,
        }
        self.pool.save()
        return {"UserConfirmationNecessary": prompt}

    def update_device_status(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        self._tracking()
        status = params.get("DeviceRememberedStatus")
        if status not in (REMEMBERED, NOT_REMEMBERED):
            raise invalid_parameter("DeviceRememberedStatus must be remembered or not_remembered.")
        _, record = self._owned(user, params)
        record.update(status=status, modified=self.pool.clock())
        self.pool.save()
        return {}

    def get_device(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        key, record = self._owned(user, params)
        return {"Device": self._described(key, record)}

    def list_devices(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        return self._listed(user, params)

    def forget_device(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        key, _ = self._owned(user, params)
        del self.devices[key]
        self.pool.save()
        return {}

    def admin_list_devices(self, params: dict) -> dict:
        return self._listed(self._admin_user(params), params)

    def admin_forget_device(self, params: dict) -> dict:
        key, _ = self._owned(self._admin_user(params), params)
        del self.devices[key]
        self.pool.save()
        return {}

    def _admin_user(self, params: dict) -> CognitoIdpUser:
        if params.get("UserPoolId") != self.pool.pool_id:
            raise CognitoFault("ResourceNotFoundException", f"User pool {params.get('UserPoolId')} does not exist.")
        user = self.pool.find_user(params.get("Username"))
        if user is None:
            raise CognitoFault("UserNotFoundException", "User does not exist.")
        return user

    def _listed(self, user: CognitoIdpUser, params: dict) -> dict:
        limit = params.get("Limit", MAX_LIST)
        if not isinstance(limit, int) or not 0 <= limit <= MAX_LIST:
            raise invalid_parameter(f"Limit must be 0 to {MAX_LIST}.")
        limit = limit or MAX_LIST
        start = params.get("PaginationToken")
        found = list(self._of_user(user.id))
        keys = [key for key, _ in found]
        first = keys.index(start) if isinstance(start, str) and start in keys else 0
        if isinstance(start, str) and start not in keys:
            raise invalid_parameter("Invalid pagination token.")
        page = found[first : first + limit]
        answer: dict[str, Any] = {"Devices": [self._described(key, record) for key, record in page]}
        if first + limit < len(found):
            answer["PaginationToken"] = keys[first + limit]
        return answer

    def _of_user(self, sub: str) -> Iterator[tuple[str, dict]]:
        """The user's devices (key, record), oldest first."""
        self.pool.records.write_pending()
        rows = self.pool.db.all("SELECT key, sub, record FROM devices WHERE sub = ? ORDER BY rowid", (sub,))
        for key, sub_, record in rows:
            found = self.devices._known(key, (sub_, record))
            if found is not ABSENT:
                yield key, found

    @staticmethod
    def _described(key: str, record: dict) -> dict:
        """Cognito's DeviceType."""
        attributes = [
            {"Name": "device_status", "Value": "valid"},
            {"Name": "device_remembered_status", "Value": record["status"] or NOT_REMEMBERED},
        ]
        if record["name"]:
            attributes.append({"Name": "device_name", "Value": record["name"]})
        return {
            "DeviceKey": key,
            "DeviceAttributes": attributes,
            "DeviceCreateDate": record["created"],
            "DeviceLastModifiedDate": record["modified"],
            "DeviceLastAuthenticatedDate": record["authenticated"],
        }

    def forget_user(self, sub: str) -> None:
        self.devices.delete_where("sub", sub)
        self.new_keys = {k: new for k, new in self.new_keys.items() if new[0] != sub}
