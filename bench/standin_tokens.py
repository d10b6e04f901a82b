"""The stand-in Cognito's pool and app client, and the tokens it issues.

The tokens have the sizes and claims of Cognito's (an RS256-shaped access and ID token, a JWE-shaped
refresh token), so a server under test parses and carries as many bytes as with Cognito; their
signatures are not real, and nothing checks them. ``secret_hash`` is the ``SECRET_HASH`` of a user
name for an app client with a secret, as Cognito computes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

REGION = "us-east-1"
POOL_ID = "us-east-1_Bench0001"
CLIENT_ID = "4benchclient0000000000000"
CLIENT_SECRET = "bench-client-secret-0000000000000000000000000000000000"
POOL_ENV = {
    "COGNITO_REGION_NAME": REGION,
    "COGNITO_USER_POOL_ID": POOL_ID,
    "COGNITO_USER_CLIENT_ID": CLIENT_ID,
    "COGNITO_CLIENT_SECRET": CLIENT_SECRET,
}

# Tokens of one user are reused for this long: building them is most of an answer's cost.
TOKEN_REUSE_SECONDS = 60.0
MAX_CACHED_USERS = 10_000


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _filler(seed: str, size: int) -> bytes:
    """``size`` bytes that look random and are the same for the same ``seed``."""
    blocks = []
    counter = 0
    while sum(map(len, blocks)) < size:
        blocks.append(hashlib.sha256(f"{seed}:{counter}".encode()).digest())
        counter += 1
    return b"".join(blocks)[:size]


def _jwt(claims: dict[str, Any], kid: str) -> str:
    header = _b64url(json.dumps({"kid": kid, "alg": "RS256"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    # An RSA-2048 signature is 256 bytes; this one only has its size.
    return f"{header}.{payload}.{_b64url(_filler(payload, 256))}"


class TokenFactory:
    """Cognito-shaped tokens for a user, reused for ``TOKEN_REUSE_SECONDS``."""

    def __init__(self, region: str, pool_id: str, client_id: str):
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
        self.client_id = client_id
        self._cache: dict[tuple[str, bool], tuple[float, bytes]] = {}

    def authentication_result(self, username: str, with_refresh_token: bool) -> bytes:
        """The JSON body of a successful InitiateAuth."""
        now = time.time()
        cached = self._cache.get((username, with_refresh_token))
        if cached is not None and now - cached[0] < TOKEN_REUSE_SECONDS:
            return cached[1]
        if len(self._cache) >= MAX_CACHED_USERS:
            self._cache.clear()
        body = json.dumps(
            {"AuthenticationResult": self._tokens(username, int(now), with_refresh_token), "ChallengeParameters": {}},
            separators=(",", ":"),
        ).encode()
        self._cache[(username, with_refresh_token)] = (now, body)
        return body

    def _tokens(self, username: str, now: int, with_refresh_token: bool) -> dict[str, Any]:
        sub = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.issuer}/{username.lower()}"))
        common = {
            "sub": sub,
            "iss": self.issuer,
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
            "auth_time": now,
            "exp": now + 3600,
            "iat": now,
            "jti": str(uuid.uuid4()),
        }
        access = {
            **common,
            "client_id": self.client_id,
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "username": sub,
        }
        identity = {
            **common,
            "email_verified": True,
            "cognito:username": sub,
            "aud": self.client_id,
            "token_use": "id",
            "email": username,
        }
        result: dict[str, Any] = {
            "AccessToken": _jwt(access, "bench-access-key"),
            "ExpiresIn": 3600,
            "TokenType": "Bearer",
            "IdToken": _jwt(identity, "bench-id-key"),
        }
        if with_refresh_token:
            # Cognito's refresh token is a JWE (RSA-OAEP, A256GCM): five parts, about 1.7 KB.
            header = _b64url(b'{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}')
            parts = [
                _filler(sub + "key", 256),
                _filler(sub + "iv", 12),
                _filler(sub + "ct", 1000),
                _filler(sub + "tag", 16),
            ]
            result["RefreshToken"] = ".".join([header, *map(_b64url, parts)])
        return result
