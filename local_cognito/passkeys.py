"""The local Cognito's passkeys (WebAuthn credentials): registering, listing and deleting them, and
the checks of a passkey sign-in (``user_auth.py`` asks for them).

StartWebAuthnRegistration, CompleteWebAuthnRegistration, ListWebAuthnCredentials and
DeleteWebAuthnCredential, authorised by the user's access token, as Cognito documents them (moto has
none of them). Attestations and assertions are verified for real by py_webauthn (``webauthn``):
the challenge, the relying party id's hash, the origin, the signature, and the sign counter, which
must grow from one sign-in to the next when the authenticator keeps one.

- The relying party id is the pool's (``sign_in_ways.py``); a ceremony at an origin that is not its
  host or a subdomain of it is WebAuthnOriginNotAllowedException, an authenticator that signed for
  another id WebAuthnRelyingPartyMismatchException.
- A registration's challenge is good for five minutes, once, for the app client whose token asked
  for it (WebAuthnChallengeNotFoundException, WebAuthnClientMismatchException); kept in memory, as
  the sign-in sessions are.
- Credentials (public key, sign counter, transports, attachment, when) are kept in the database's
  ``webauthn_credentials`` table, by credential id, each one user's; at most 20 a user, as Cognito.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from typing import Any, Iterator

from moto.cognitoidp.models import CognitoIdpUser
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import (
    UnsupportedAlgorithm,
    UnsupportedEC2Curve,
    UnsupportedPublicKey,
    UnsupportedPublicKeyType,
    WebAuthnException,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from local_cognito.faults import CognitoFault, invalid_parameter, not_authorized
from local_cognito.pool import UserPool
from local_cognito.sign_in_ways import SignInWays
from local_cognito.tables import JsonRecords

REGISTRATION_SECONDS = 300
CEREMONY_TIMEOUT_MS = 180_000  # what the browser may take; the sign-in session lasts as long
MAX_PASSKEYS = 20  # Cognito's limit of passkeys per user
FRIENDLY_NAME = "Passkey"
UNSUPPORTED = (UnsupportedAlgorithm, UnsupportedEC2Curve, UnsupportedPublicKey, UnsupportedPublicKeyType)


@dataclasses.dataclass
class PendingRegistration:
    client_id: str
    challenge: bytes
    expires: float


def _unpadded(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def ceremony_origin(credential: Any) -> str:
    """The origin the browser wrote in the credential's clientDataJSON; InvalidParameter when the
    credential is not shaped like one."""
    try:
        client_data = json.loads(_unpadded(credential["response"]["clientDataJSON"]))
        origin = client_data["origin"]
    except (KeyError, TypeError, ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid_parameter("The credential is not a WebAuthn public-key credential.") from None
    if not isinstance(origin, str):
        raise invalid_parameter("The credential is not a WebAuthn public-key credential.")
    return origin


class PasskeyOperations:
    """The WebAuthn credential operations, and the passkey side of USER_AUTH sign-in."""

    def __init__(self, pool: UserPool, ways: SignInWays) -> None:
        self.pool = pool
        self.ways = ways
        # credential id (base64url) -> {"sub", "public_key", "sign_count", "rp_id", "transports",
        # "attachment", "created"}
        self.credentials = JsonRecords(
            pool.records, "webauthn_credentials", ("sub",), derive=lambda key, record: (record["sub"],)
        )
        self.pending: dict[str, PendingRegistration] = {}  # by sub; in memory only

    def of_user(self, sub: str) -> Iterator[tuple[str, dict]]:
        """The user's credentials (id, record), oldest first."""
        self.pool.records.write_pending()
        for key, sub_, record in self.pool.db.rows(
            "SELECT key, sub, record FROM webauthn_credentials WHERE sub = ? ORDER BY rowid", (sub,)
        ):
            found = self.credentials._known(key, (sub_, record))
            if found is not None:
                yield key, found

    def forget_user(self, sub: str) -> None:
        self.credentials.delete_where("sub", sub)
        self.pending.pop(sub, None)

    # --- registering ------------------------------------------------------------------------------

    def start_web_authn_registration(self, params: dict) -> dict:
        user, claims = self.pool.access_token_user_and_claims(params.get("AccessToken"))
        rp_id = self.ways.check_passkeys()
        owned = list(self.of_user(user.id))
        if len(owned) >= MAX_PASSKEYS:
            raise CognitoFault("LimitExceededException", "The user has the most passkeys a user may have.")
        email = user.attribute_lookup.get("email", user.username)
        options = generate_registration_options(
            rp_id=rp_id,
            rp_name=rp_id,
            user_name=email,
            user_display_name=email,
            user_id=user.id.encode(),
            timeout=CEREMONY_TIMEOUT_MS,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                require_resident_key=True,
                user_verification=UserVerificationRequirement(self.ways.user_verification),
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=_unpadded(key)) for key, _ in owned],
        )
        self.pending[user.id] = PendingRegistration(
            claims["client_id"], options.challenge, self.pool.clock() + REGISTRATION_SECONDS
        )
        return {"CredentialCreationOptions": json.loads(options_to_json(options))}

    def complete_web_authn_registration(self, params: dict) -> dict:
        user, claims = self.pool.access_token_user_and_claims(params.get("AccessToken"))
        rp_id = self.ways.check_passkeys()
        credential = params.get("Credential")
        if not isinstance(credential, dict):
            raise invalid_parameter("Missing required parameter Credential")
        pending = self.pending.get(user.id)
        if pending is None or pending.expires <= self.pool.clock():
            raise CognitoFault(
                "WebAuthnChallengeNotFoundException", "The registration's challenge has expired or was never issued."
            )
        if pending.client_id != claims["client_id"]:
            raise CognitoFault("WebAuthnClientMismatchException", "The registration was started by another app client.")
        origin = ceremony_origin(credential)
        if not self.ways.origin_allowed(origin):
            raise CognitoFault(
                "WebAuthnOriginNotAllowedException",
                "The passkey was made at an origin the relying party id does not allow.",
            )
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=pending.challenge,
                expected_rp_id=rp_id,
                expected_origin=origin,
                require_user_verification=self.ways.user_verification == "required",
            )
        except UNSUPPORTED:
            raise CognitoFault(
                "WebAuthnCredentialNotSupportedException", "The passkey's key type is not supported."
            ) from None
        except WebAuthnException as refused:
            if "RP ID" in str(refused):
                raise CognitoFault(
                    "WebAuthnRelyingPartyMismatchException", "The passkey is for another relying party id."
                ) from None
            if "challenge" in str(refused):
                raise CognitoFault(
                    "WebAuthnChallengeNotFoundException", "The passkey answers another registration's challenge."
                ) from None
            raise invalid_parameter("The credential could not be verified.") from None
        del self.pending[user.id]
        key = bytes_to_base64url(verified.credential_id)
        if key in self.credentials:
            raise invalid_parameter("This passkey is already registered.")
        transports = credential.get("response", {}).get("transports")
        attachment = credential.get("authenticatorAttachment")
        self.credentials[key] = {
            "sub": user.id,
            "public_key": bytes_to_base64url(verified.credential_public_key),
            "sign_count": verified.sign_count,
            "rp_id": rp_id,
            "transports": [t for t in transports if isinstance(t, str)] if isinstance(transports, list) else [],
            "attachment": attachment if attachment in ("platform", "cross-platform") else None,
            "created": self.pool.clock(),
        }
        self.pool.save()
        return {}

    # --- the user's passkeys ------------------------------------------------------------------------

    def list_web_authn_credentials(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        limit = params.get("MaxResults", MAX_PASSKEYS)
        if not isinstance(limit, int) or not 0 <= limit <= MAX_PASSKEYS:
            raise invalid_parameter("MaxResults must be between 0 and 20.")
        start = params.get("NextToken") or "0"
        if not isinstance(start, str) or not start.isdigit():
            raise invalid_parameter("Invalid NextToken.")
        owned = list(self.of_user(user.id))
        page = owned[int(start) : int(start) + limit]
        answer: dict[str, Any] = {"Credentials": [self._description(key, record) for key, record in page]}
        if int(start) + limit < len(owned) and limit:
            answer["NextToken"] = str(int(start) + limit)
        return answer

    @staticmethod
    def _description(key: str, record: dict) -> dict:
        description = {
            "CredentialId": key,
            "FriendlyCredentialName": FRIENDLY_NAME,
            "RelyingPartyId": record["rp_id"],
            "AuthenticatorTransports": record["transports"],
            "CreatedAt": record["created"],
        }
        if record.get("attachment"):
            description["AuthenticatorAttachment"] = record["attachment"]
        return description

    def delete_web_authn_credential(self, params: dict) -> dict:
        user = self.pool.user_for_access_token(params.get("AccessToken"))
        key = params.get("CredentialId")
        record = self.credentials.get(key) if isinstance(key, str) else None
        if not isinstance(key, str) or record is None or record["sub"] != user.id:
            raise CognitoFault("ResourceNotFoundException", "Credential not found.")
        del self.credentials[key]
        self.pool.save()
        return {}

    # --- signing in ---------------------------------------------------------------------------------

    def request_options(self, user: CognitoIdpUser | None) -> tuple[str, bytes]:
        """The CREDENTIAL_REQUEST_OPTIONS of a WEB_AUTHN challenge (a JSON text) and its challenge.
        An unknown user's list of credentials is empty, as is that of a user with none: the answer
        does not tell them apart."""
        rp_id = self.ways.check_passkeys()
        owned = list(self.of_user(user.id)) if user is not None else []
        options = generate_authentication_options(
            rp_id=rp_id,
            timeout=CEREMONY_TIMEOUT_MS,
            allow_credentials=[PublicKeyCredentialDescriptor(id=_unpadded(key)) for key, _ in owned],
            user_verification=UserVerificationRequirement(self.ways.user_verification),
        )
        return options_to_json(options), options.challenge

    def check_assertion(self, user: CognitoIdpUser | None, given: Any, challenge: bytes) -> None:
        """Accepts ``given`` (the JSON text of what navigator.credentials.get() answered) as ``user``'s
        passkey signing ``challenge``, and keeps its new sign counter; NotAuthorized otherwise."""
        rp_id = self.ways.check_passkeys()
        try:
            credential = json.loads(given) if isinstance(given, str) else None
        except ValueError:
            credential = None
        if not isinstance(credential, dict):
            raise invalid_parameter("CREDENTIAL must be the JSON of a WebAuthn authentication response.")
        origin = ceremony_origin(credential)
        key = credential.get("id")
        record = self.credentials.get(key) if isinstance(key, str) else None
        if user is None or record is None or record["sub"] != user.id:
            raise not_authorized("Incorrect username or passkey.")
        if not self.ways.origin_allowed(origin):
            raise CognitoFault(
                "WebAuthnOriginNotAllowedException",
                "The passkey was used at an origin the relying party id does not allow.",
            )
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp_id,
                expected_origin=origin,
                credential_public_key=_unpadded(record["public_key"]),
                credential_current_sign_count=record["sign_count"],
                require_user_verification=self.ways.user_verification == "required",
            )
        except WebAuthnException:
            raise not_authorized("Incorrect username or passkey.") from None
        record["sign_count"] = verified.new_sign_count

    def has_passkeys(self, user: CognitoIdpUser) -> bool:
        return next(self.of_user(user.id), None) is not None
