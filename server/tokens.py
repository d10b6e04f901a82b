"""Checking tokens that clients send: signature against the pool's JWKS, issuer, use, client, expiry,
and for access tokens that their session was not signed out through this server (``server.revocations``).

The pool's clock and ours are never quite the same, and a token is checked milliseconds after the
pool issued it, so its times are compared with ours allowing ``clock_skew_seconds`` either way
(TOKEN_CLOCK_SKEW_SECONDS): a token is taken while its ``iat`` and ``nbf`` are at most that far in our
future and its ``exp`` at most that far in our past. PyJWT's ``leeway`` applies it to all three
(``iat``/``nbf`` later than now + leeway are immature, ``exp`` at or before now - leeway is expired).
Beyond it, a token from the future is InvalidToken (and logged: it means one of the clocks is wrong)
and an expired one TokenExpired.

Cognito signs its tokens with RS256 keys it publishes at ``{issuer}/.well-known/jwks.json``. The
keys are fetched without blocking the IOLoop and kept by ``kid``. A token with a ``kid`` not yet
known makes one new fetch (Cognito rotates keys rarely), but at most one per ``refetch_seconds``,
so tokens with made-up ``kid`` values cannot make the server hammer the JWKS endpoint.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from typing import Callable

import jwt
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from server.config import DEFAULT_TOKEN_CLOCK_SKEW_SECONDS
from server.errors import ApiError
from server.revocations import Revocations

log = logging.getLogger("server.tokens")

REFETCH_SECONDS = 10.0


def unverified_claims(token: str) -> dict:
    """The claims of a token Cognito has just issued to us or acted on, or that this server keeps in
    a cookie it signed: its payload, decoded without checking the signature (which would cost as
    much again). Never for a token a client sends, which ``TokenVerifier`` checks. {} for a value
    that is not a JWT."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (AttributeError, IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


class TokenVerifier:
    """Verifies the access and id tokens of one user pool and app client."""

    def __init__(
        self,
        *,
        jwks_url: str,
        issuer: str,
        client_id: str,
        clock_skew_seconds: float = DEFAULT_TOKEN_CLOCK_SKEW_SECONDS,
        refetch_seconds: float = REFETCH_SECONDS,
        fetch_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        revocations: Revocations | None = None,
    ):
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.client_id = client_id
        self.clock_skew_seconds = clock_skew_seconds
        self.refetch_seconds = refetch_seconds
        self.fetch_timeout = fetch_timeout
        self.clock = clock
        # Sessions signed out through this server, whose access tokens are refused.
        self.revocations = revocations
        self.fetches = 0  # how many times the JWKS was fetched (for logs and tests)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._fetching: asyncio.Future | None = None

    async def verify_access_token(self, token: str) -> dict:
        """The claims of a valid access token of this pool and client, of a session not signed out
        through this server; ApiError otherwise."""
        claims = await self._verify(token, audience=None)
        if claims.get("token_use") != "access" or claims.get("client_id") != self.client_id:
            raise ApiError("InvalidToken")
        if self.revocations is not None:
            await self.revocations.refuse_signed_out(claims)
        return claims

    async def verify_id_token(self, token: str, nonce: str | None = None) -> dict:
        """The claims of a valid id token issued to this client (and for ``nonce``, if given)."""
        claims = await self._verify(token, audience=self.client_id)
        if claims.get("token_use") != "id" or (nonce is not None and claims.get("nonce") != nonce):
            raise ApiError("InvalidToken")
        return claims

    async def _verify(self, token: str, audience: str | None) -> dict:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise ApiError("InvalidToken") from None
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not isinstance(kid, str):
            raise ApiError("InvalidToken")
        key = await self._key(kid)
        try:
            return jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                audience=audience,
                leeway=self.clock_skew_seconds,
                options={
                    "require": ["exp", "iat", "iss", "sub", "token_use"],
                    "verify_exp": True,
                    "verify_iat": True,
                    "verify_nbf": True,
                    "verify_aud": audience is not None,
                },
            )
        except jwt.ExpiredSignatureError:
            raise ApiError("TokenExpired") from None
        except jwt.ImmatureSignatureError:
            self._log_from_the_future(token)
            raise ApiError("InvalidToken") from None
        except jwt.PyJWTError:
            raise ApiError("InvalidToken") from None

    def _log_from_the_future(self, token: str) -> None:
        """A correctly signed token issued later than now, beyond the allowance: a clock is wrong."""
        claims = jwt.decode(token, options={"verify_signature": False})  # its signature was checked
        issued = max(
            (claims[name] for name in ("iat", "nbf") if isinstance(claims.get(name), (int, float))), default=None
        )
        ahead = f"{issued - time.time():.0f} s" if issued is not None else "some time"
        log.warning(
            "Refused a token issued %s ahead of this server's clock, more than "
            "TOKEN_CLOCK_SKEW_SECONDS (%g s) allows: check that this server's clock is "
            "synchronised (NTP).",
            ahead,
            self.clock_skew_seconds,
        )

    async def _key(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys and self._may_fetch():
            await self._fetch_once()
        if not self._keys:  # the keys could not be fetched lately: the token may well be good
            raise ApiError("CognitoUnavailable")
        key = self._keys.get(kid)
        if key is None:
            raise ApiError("InvalidToken")
        return key

    def _may_fetch(self) -> bool:
        return self._fetched_at is None or self.clock() - self._fetched_at >= self.refetch_seconds

    async def _fetch_once(self) -> None:
        """Fetch the JWKS; concurrent callers share one fetch."""
        if self._fetching is None:
            self._fetching = asyncio.ensure_future(self._fetch())
        fetching = self._fetching
        try:
            await asyncio.shield(fetching)
        finally:
            if fetching.done() and self._fetching is fetching:
                self._fetching = None

    async def _fetch(self) -> None:
        self.fetches += 1
        try:
            response = await AsyncHTTPClient().fetch(self.jwks_url, request_timeout=self.fetch_timeout)
            keys = {}
            for jwk in json.loads(response.body)["keys"]:
                if jwk.get("kty") == "RSA" and isinstance(jwk.get("kid"), str):
                    keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="RS256")
        except (TimeoutError, HTTPClientError, OSError) as error:
            log.error("Fetching the pool's keys from %s failed: %s", self.jwks_url, error)
            if not self._keys:
                raise ApiError("CognitoUnavailable") from None
            return
        except (ValueError, KeyError, TypeError, jwt.PyJWTError) as error:
            log.error("The pool's keys at %s are not a JWKS: %r", self.jwks_url, error)
            if not self._keys:
                raise ApiError("CognitoError") from None
            return
        finally:
            self._fetched_at = self.clock()
        self._keys = keys
