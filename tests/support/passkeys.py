"""A software authenticator for tests that drive the local Cognito without a browser: it makes
passkeys (P-256, "none" attestation) and signs sign-in challenges as the WebAuthn specification says
an authenticator does, answering in the JSON shapes browsers give (RegistrationResponseJSON,
AuthenticationResponseJSON). The browser tests use Chromium's own virtual authenticator instead."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40  # authenticator data flags: user present, verified; attested data


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """Passkeys kept in memory: credential id -> (private key, relying party id, user handle, counter).
    ``rp_id_for_signing`` makes it sign for another relying party than it is asked to (a wrong one)."""

    def __init__(self, counts: bool = True):
        self.keys: dict[bytes, list] = {}
        self.counts = counts

    def _client_data(self, kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def create(self, options: dict, origin: str, rp_id: str | None = None) -> dict:
        """What navigator.credentials.create() gives for ``options`` (CredentialCreationOptions)."""
        rp_id = rp_id or options["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        credential_id = os.urandom(16)
        self.keys[credential_id] = [key, rp_id, options["user"]["id"], 0]
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([UP | UV | AT])
            + struct.pack(">I", 0)
            + bytes(16)
            + struct.pack(">H", len(credential_id))
            + credential_id
            + cose
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64url(credential_id),
            "rawId": b64url(credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(self, options: dict, origin: str, credential_id: bytes | None = None) -> dict:
        """What navigator.credentials.get() gives for ``options`` (the request options), with the
        passkey ``credential_id`` (by default the first allowed one this authenticator has, or any)."""
        if credential_id is None:
            allowed = [unb64url(c["id"]) for c in options.get("allowCredentials") or []]
            credential_id = next((c for c in allowed if c in self.keys), next(iter(self.keys)))
        key, rp_id, user_handle, count = self.keys[credential_id]
        if self.counts:
            count = self.keys[credential_id][3] = count + 1
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([UP | UV]) + struct.pack(">I", count)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(credential_id),
            "rawId": b64url(credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": user_handle,
            },
        }
