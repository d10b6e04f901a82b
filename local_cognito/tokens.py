"""The local Cognito's signing key, its JWKS, and the access and id tokens it issues.

The key is the pool's own RSA key, made on first start and kept in the data folder, so tokens
verify against the pool's JWKS exactly as Cognito's do (RS256, ``kid`` in the header). The claims
follow Cognito's: for a pool with email as the user name, ``username`` / ``cognito:username`` is
the user's ``sub`` (a federated user's is the name Cognito gave them, ``LoginWithAmazon_...``,
and their id token has the ``identities`` array), and every token carries the ``origin_jti`` of
the refresh token it came from, which is how revoking a refresh token also revokes the access tokens issued with it.

Times (``iat``, ``exp``, ``auth_time``) are on the pool's clock, which may be set ahead of or behind
the server's (``clock.py``), and the pool's own check of its access tokens uses that same clock.

Tokens from the hosted UI's token endpoint carry the OAuth scopes granted (``scope``, space-separated)
and, in the id token, the ``nonce`` of the authorize request; tokens from the API carry Cognito's
``aws.cognito.signin.user.admin`` scope.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from typing import Callable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local_cognito.store import write_new_file

ACCESS_SCOPE = "aws.cognito.signin.user.admin"


class InvalidToken(Exception):
    """The token is not one of ours, is malformed, or has expired (``expired`` tells which)."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _load_or_create_key(path: str) -> rsa.RSAPrivateKey:
    if os.path.exists(path):
        with open(path, "rb") as handle:
            saved = serialization.load_pem_private_key(handle.read(), password=None)
        if not isinstance(saved, rsa.RSAPrivateKey):
            raise ValueError(f"{path} holds a key that is not RSA: the tokens are signed with RS256")
        return saved
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    write_new_file(path, pem)
    return key


class TokenSigner:
    def __init__(self, key_path: str, access_token_seconds: int = 3600, clock: Callable[[], float] = time.time):
        self._key = _load_or_create_key(key_path)
        public_der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(public_der).digest()[:18]).decode()
        self._public_key = self._key.public_key()
        self.access_token_seconds = access_token_seconds
        self.clock = clock

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._public_key))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def sign(self, claims: dict) -> str:
        """A JWT of ``claims`` signed with the pool's key (RS256, with its ``kid``)."""
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def issue(
        self,
        *,
        issuer: str,
        client_id: str,
        sub: str,
        attributes: dict[str, str],
        groups: list[str],
        origin_jti: str,
        auth_time: int,
        scope: str = ACCESS_SCOPE,
        nonce: str | None = None,
        username: str | None = None,
    ) -> tuple[str, str, int]:
        """(access token, id token, lifetime in seconds) for one sign-in or refresh; ``username``
        is the sub unless Cognito gave the user another name (a federated user)."""
        username = username or sub
        now = int(self.clock())
        event_id = str(uuid.uuid4())
        common = {
            "sub": sub,
            "iss": issuer,
            "origin_jti": origin_jti,
            "event_id": event_id,
            "auth_time": auth_time,
            "iat": now,
            "exp": now + self.access_token_seconds,
        }
        if groups:
            common["cognito:groups"] = list(groups)
        access = dict(
            common, client_id=client_id, token_use="access", scope=scope, jti=str(uuid.uuid4()), username=username
        )
        identity = dict(common, aud=client_id, token_use="id", jti=str(uuid.uuid4()))
        if nonce is not None:
            identity["nonce"] = nonce
        identity["cognito:username"] = username
        for name, value in attributes.items():
            if name in ("sub",) or name.startswith("dev:"):
                continue
            if name.endswith("_verified"):
                identity[name] = value == "true"
            elif name == "identities":  # a federated user's: the attribute's JSON, as an array
                identity[name] = json.loads(value)
            else:
                identity[name] = value
        return self.sign(access), self.sign(identity), self.access_token_seconds

    def verify_access_token(self, token: str) -> dict:
        """The claims of an access token this pool issued; InvalidToken otherwise.

        The pool's own key is proof enough of the issuer: the issuer URL names the local endpoint,
        whose port may change between runs, and tokens stay good across a restart. Expiry is judged
        by the pool's clock, the one that set ``exp`` (PyJWT would judge it by the wall clock).
        """
        try:
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=["RS256"],
                options={
                    "require": ["exp", "iat", "sub", "token_use", "client_id"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError:
            raise InvalidToken() from None
        if claims.get("token_use") != "access" or type(claims["exp"]) is not int:
            raise InvalidToken()
        if claims["exp"] <= self.clock():
            raise InvalidToken(expired=True)
        return claims
