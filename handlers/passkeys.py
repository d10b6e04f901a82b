"""Passkeys of the signed-in user: passkeyRegisterStart, passkeyRegisterFinish, passkeyList and
passkeyDelete, with the user's access token (StartWebAuthnRegistration, CompleteWebAuthnRegistration,
ListWebAuthnCredentials, DeleteWebAuthnCredential).

The relying party is the user pool's (its WebAuthnRelyingPartyID, which must be this site's host,
BASE_URL's: docs/passwordless.md). Registering is two calls: the start answers the options for
navigator.credentials.create() as Cognito gives them (binary values in base64url), and the finish
takes the credential it made, as JSON (its ``toJSON()``).
"""

from __future__ import annotations

import datetime

from server.call import Call
from server.errors import ApiError
from server.registry import method
from handlers.user_auth_steps import check_relying_party, credential_json

MAX_PASSKEY_ID_CHARACTERS = 1024
MAX_PAGES = 10  # 20 passkeys a page, and Cognito keeps at most 20 a user: one page, in practice


@method("passkeyRegisterStart")
async def passkey_register_start(call: Call, access_token: str) -> dict:
    response = await call.cognito.call("StartWebAuthnRegistration", AccessToken=access_token)
    options = response.get("CredentialCreationOptions")
    if not isinstance(options, dict):
        raise ApiError("CognitoError")
    rp = options.get("rp")
    check_relying_party(call.config.base_url, rp.get("id") if isinstance(rp, dict) else None)
    return {"credential_creation_options": options}


@method("passkeyRegisterFinish")
async def passkey_register_finish(call: Call, access_token: str, credential: str) -> dict:
    await call.cognito.call(
        "CompleteWebAuthnRegistration", AccessToken=access_token, Credential=credential_json(credential)
    )
    return {"registered": True}


def _passkey(described: dict) -> dict:
    created = described.get("CreatedAt")
    return {
        "id": described.get("CredentialId"),
        "name": described.get("FriendlyCredentialName"),
        "relying_party": described.get("RelyingPartyId"),
        "attachment": described.get("AuthenticatorAttachment"),
        "transports": list(described.get("AuthenticatorTransports") or []),
        "created": created.isoformat() if isinstance(created, datetime.datetime) else created,
    }


@method("passkeyList")
async def passkey_list(call: Call, access_token: str) -> dict:
    """The user's passkeys, oldest first: ``id``, ``name``, ``relying_party``, ``attachment``,
    ``transports``, ``created`` (ISO 8601)."""
    passkeys: list[dict] = []
    parameters: dict = {"AccessToken": access_token, "MaxResults": 20}
    for _ in range(MAX_PAGES):
        response = await call.cognito.call("ListWebAuthnCredentials", **parameters)
        passkeys += [_passkey(d) for d in response.get("Credentials") or [] if isinstance(d, dict)]
        if not response.get("NextToken"):
            break
        parameters["NextToken"] = response["NextToken"]
    return {"passkeys": passkeys}


@method("passkeyDelete")
async def passkey_delete(call: Call, access_token: str, id: str) -> dict:
    if not id or len(id) > MAX_PASSKEY_ID_CHARACTERS:
        raise ApiError("PasskeyNotFound", field="id")
    await call.cognito.call("DeleteWebAuthnCredential", AccessToken=access_token, CredentialId=id)
    return {"deleted": True}
