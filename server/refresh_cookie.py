"""The refresh cookie (``__Host-refresh``): what it holds, how it is signed, one request's view of
it, and the one thing it is for: new tokens from Cognito.

It holds a ``StoredRefreshToken``: Cognito's refresh token and the user name Cognito assigned
(needed for SECRET_HASH when an endpoint without GetTokensFromRefreshToken is refreshed with
REFRESH_TOKEN_AUTH; see ``CognitoClient.refreshed``), and the ``origin_jti`` and lifetime of the
access tokens issued with it, which a sign-out records (``server.revocations``) so that they stop
reading too; cookies written before the server kept these have neither, work as ever, and get
them at their next refresh. It is a signed value (``server.signing``), so
``COOKIE_SECRET`` may list several secrets and a secret can be rotated without signing everyone
out. It is HttpOnly, Secure and SameSite=Strict: page scripts never see it.

``refreshed_tokens`` lives here because everything it touches is this cookie: it reads the refresh
token out of it, writes a rotated one back into it (when the app client rotates refresh tokens,
every refresh answers a new one and the old one stops working after the client's grace period),
and clears it when Cognito refuses the token.
The ``refresh`` and ``signOut`` methods use it, and so does the browser session
(``server.browser_session``) when it renews its access token.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from server.cognito import CognitoClient
from server.cookies import host_cookie_header, read_cookie
from server.errors import ApiError
from server.signing import SignedValues
from server.tokens import unverified_claims

REFRESH_COOKIE = "__Host-refresh"


# The origin_jti values a cookie keeps, newest first: one per sign-in, unless an app client that
# rotates refresh tokens starts new ones as it rotates.
MAX_ORIGIN_JTIS = 4


@dataclasses.dataclass(frozen=True)
class StoredRefreshToken:
    """What the refresh cookie holds."""

    refresh_token: str = dataclasses.field(repr=False)
    username: str  # the name Cognito assigned, not the email: SECRET_HASH is computed on it
    # The origin_jti of the access tokens issued with this refresh token (newest first), and their
    # lifetime in seconds (0: not known).
    origin_jtis: tuple[str, ...] = ()
    access_lifetime: int = 0

    @classmethod
    def of_sign_in(cls, refresh_token: str, access_claims: dict, expires_in: Any) -> StoredRefreshToken:
        """For a sign-in's tokens: the refresh token, and the claims of the access token issued with it."""
        jti = access_claims.get("origin_jti")
        try:
            lifetime = max(0, int(expires_in))  # the token endpoint's JSON may give it as a string
        except (TypeError, ValueError):
            lifetime = 0
        return cls(
            refresh_token=refresh_token,
            username=access_claims["username"],
            origin_jtis=(jti,) if isinstance(jti, str) and jti else (),
            access_lifetime=lifetime,
        )

    def renewed(self, refresh_token: str | None, access_claims: dict) -> StoredRefreshToken:
        """After a refresh: the rotated refresh token, if one came, and the new access token's
        origin_jti first (the same as before, unless the pool started a new one)."""
        jti = access_claims.get("origin_jti")
        jtis = self.origin_jtis
        if isinstance(jti, str) and jti:
            jtis = (jti, *(old for old in jtis if old != jti))[:MAX_ORIGIN_JTIS]
        return dataclasses.replace(self, refresh_token=refresh_token or self.refresh_token, origin_jtis=jtis)


class RefreshCookieCodec:
    """Encodes and decodes the signed refresh cookie with the configured secrets."""

    def __init__(self, secrets: tuple[str, ...], lifetime_days: float):
        self._signed = SignedValues(secrets, REFRESH_COOKIE, lifetime_days)
        self.lifetime_days = lifetime_days

    def encode(self, stored: StoredRefreshToken) -> str:
        value: dict[str, object] = {"t": stored.refresh_token, "u": stored.username}
        if stored.origin_jtis:
            value.update(j=list(stored.origin_jtis), l=stored.access_lifetime)
        return self._signed.encode(value)

    def decode(self, value: str) -> StoredRefreshToken | None:
        """The refresh token in ``value``, or None when it is tampered with, expired or malformed."""
        data = self._signed.decode(value)
        try:
            jtis, lifetime = data.get("j") or [], data.get("l") or 0
            if not isinstance(jtis, list) or not isinstance(lifetime, int):
                return None
            return StoredRefreshToken(
                refresh_token=data["t"],
                username=data["u"],
                origin_jtis=tuple(j for j in jtis if isinstance(j, str))[:MAX_ORIGIN_JTIS],
                access_lifetime=lifetime,
            )
        except (AttributeError, KeyError, TypeError):
            return None

    def set_cookie_header(self, stored: StoredRefreshToken) -> str:
        max_age = int(self.lifetime_days * 86400)
        return host_cookie_header(REFRESH_COOKIE, self.encode(stored), max_age, "Strict")

    @staticmethod
    def clear_cookie_header() -> str:
        return host_cookie_header(REFRESH_COOKIE, "", 0, "Strict")


class RefreshCookie:
    """What one request knows about the refresh cookie, and what its answer must do to it."""

    def __init__(self, codec: RefreshCookieCodec, cookie_header: str):
        self._codec = codec
        self._raw = read_cookie(cookie_header, REFRESH_COOKIE)
        # The Set-Cookie header the answer carries, if any (the last change wins).
        self.set_cookie: str | None = None

    @property
    def present(self) -> bool:
        return bool(self._raw)

    @property
    def kept(self) -> bool:
        """Whether the browser still holds a refresh cookie once this answer is in: it sent one, and
        the answer does not clear it."""
        return self.present and self.set_cookie != self._codec.clear_cookie_header()

    def current(self) -> StoredRefreshToken:
        """The refresh token from the cookie; ApiError 401 when missing, expired or tampered."""
        if not self._raw:
            raise ApiError("NoSession")
        stored = self._codec.decode(self._raw)
        if stored is None:
            self.clear()
            raise ApiError("SessionExpired")
        return stored

    def store(self, stored: StoredRefreshToken) -> None:
        self.set_cookie = self._codec.set_cookie_header(stored)

    def clear(self) -> None:
        self.set_cookie = self._codec.clear_cookie_header()


# Cognito's refusals of a refresh token, as ours: revoked, expired, or rotated out and used again
# after the grace period (RefreshTokenReuseException, which cognito_errors makes SessionExpired), or
# its user can no longer sign in.
REFUSED = frozenset({"NotAuthorized", "SessionExpired", "PasswordResetRequired", "UserNotConfirmed"})


async def refreshed_tokens(cognito: CognitoClient, refresh_cookie: RefreshCookie, stored: StoredRefreshToken) -> dict:
    """New tokens for the refresh token in the cookie; 401 ``SessionExpired`` and the cookie
    cleared when Cognito refuses it. With refresh-token rotation on, Cognito sends a new refresh
    token, which replaces the old one in the cookie (with the same assigned user name); so does a
    new ``origin_jti``, when the pool starts one."""
    try:
        result = await cognito.refreshed(stored.refresh_token, stored.username)
    except ApiError as error:
        if error.code in REFUSED:
            refresh_cookie.clear()
            raise ApiError("SessionExpired") from None
        raise
    renewed = stored.renewed(result.get("RefreshToken"), unverified_claims(result["AccessToken"]))
    if renewed != stored:
        refresh_cookie.store(renewed)
    return result
