"""The browser session of hosted-UI sign-in (``__Host-session``: signed, HttpOnly, Secure,
SameSite=Lax).

It holds what a page needs to know about the person (email, nickname, groups) and the current access
token, so a browser signed in through the hosted UI never handles tokens: the JSON methods that take
an ``access_token`` use the session's when the request has none. It is separate from the refresh
cookie (``server.refresh_cookie``), which keeps the refresh token. When the access token is about to
expire the session is renewed with the refresh token (``refreshed_tokens``, which keeps a rotated
one) instead of ending; when Cognito refuses the refresh, both cookies are cleared and the person is
signed out.

When to renew is counted on this server's clock from ``expires_in`` (the token's lifetime, as
Cognito answers it), never from the token's ``exp``: ``exp`` is a time on the pool's clock, which
may be ahead of or behind ours, and renewing by it would renew too early (a pool behind us) or too
late (ahead). Cognito judges a token by its own clock, so it lasts ``expires_in`` from its issue
whatever our clock says; our own check of it allows TOKEN_CLOCK_SKEW_SECONDS (``server.tokens``).
The renewed tokens are checked as ``/callback`` checks them; when they are refused (a pool clock
beyond that allowance), the person is signed out with that error, so the next request does not
renew again. A session signed out through this server (``server.revocations``) ends at its next
request: both cookies are cleared, ``/me`` says nobody is signed in, and what needed its token answers
401 ``InvalidToken``.
"""

from __future__ import annotations

import dataclasses
import time

from server.cognito import CognitoClient
from server.cookies import host_cookie_header, read_cookie
from server.errors import ApiError
from server.refresh_cookie import RefreshCookie, refreshed_tokens
from server.signing import SignedValues
from server.tokens import TokenVerifier, unverified_claims

BROWSER_SESSION_COOKIE = "__Host-session"
# Renew this long before the access token expires (or a quarter of its lifetime, if shorter), so a
# request never carries a token that expires on its way.
RENEW_SECONDS = 30


@dataclasses.dataclass(frozen=True)
class Person:
    """Who is signed in, as the page shows it."""

    sub: str
    email: str | None
    nickname: str | None
    groups: tuple[str, ...]

    @classmethod
    def from_id_token(cls, claims: dict) -> Person:
        return cls(
            sub=claims["sub"],
            email=claims.get("email"),
            nickname=claims.get("nickname"),
            groups=tuple(claims.get("cognito:groups") or ()),
        )


class BrowserSessionCodec:
    def __init__(self, secrets: tuple[str, ...], lifetime_days: float):
        self._signed = SignedValues(secrets, BROWSER_SESSION_COOKIE, lifetime_days)
        self.lifetime_days = lifetime_days

    def set_cookie_header(self, person: Person, access_token: str, renew_at: int) -> str:
        value = self._signed.encode({"p": dataclasses.asdict(person), "a": access_token, "x": renew_at})
        return host_cookie_header(BROWSER_SESSION_COOKIE, value, int(self.lifetime_days * 86400), "Lax")

    @staticmethod
    def clear_cookie_header() -> str:
        return host_cookie_header(BROWSER_SESSION_COOKIE, "", 0, "Lax")

    def decode(self, value: str) -> tuple[Person, str, int] | None:
        data = self._signed.decode(value)
        try:
            person = Person(**{**data["p"], "groups": tuple(data["p"]["groups"])})
            return person, data["a"], int(data["x"])
        except (KeyError, TypeError, ValueError):
            return None


class BrowserSession:
    """One request's view of the browser session, and what its answer must do to the cookie."""

    def __init__(
        self,
        codec: BrowserSessionCodec,
        cognito: CognitoClient,
        tokens: TokenVerifier,
        refresh_cookie: RefreshCookie,
        cookie_header: str,
        trusted_origin: bool = True,
        clock=time.time,
    ):
        self._codec = codec
        self._cognito = cognito
        self._tokens = tokens
        self._refresh_cookie = refresh_cookie
        # Whether the request comes from this site's own pages (or an allowed origin): only those
        # may act with the session, which a cross-origin page could otherwise ride on (CSRF).
        self.trusted_origin = trusted_origin
        self._raw = read_cookie(cookie_header, BROWSER_SESSION_COOKIE)
        self._clock = clock
        self._current: tuple[Person, str, int] | None = None
        self._signed_out = False  # whether this request found the session signed out (server.revocations)
        self.set_cookie: str | None = None

    @property
    def present(self) -> bool:
        return bool(self._raw) or self._current is not None

    def start(self, person: Person, access_token: str, expires_in: int) -> None:
        renew_at = int(self._clock()) + int(expires_in) - min(RENEW_SECONDS, int(expires_in) // 4)
        self._current = (person, access_token, renew_at)
        self.set_cookie = self._codec.set_cookie_header(person, access_token, renew_at)

    def clear(self) -> None:
        self._raw = None
        self._current = None
        self.set_cookie = self._codec.clear_cookie_header()

    async def person(self) -> Person | None:
        """Who is signed in, with tokens renewed if they were about to expire; None if nobody."""
        current = await self._renewed()
        return current[0] if current else None

    async def access_token(self) -> str:
        """The session's access token, renewed if needed; 401 when there is no session, 403 for a
        request from another origin."""
        if not self.trusted_origin:
            raise ApiError("UntrustedOrigin")
        current = await self._renewed()
        if current is None:
            raise ApiError("InvalidToken" if self._signed_out else "MissingToken")
        return current[1]

    async def _renewed(self) -> tuple[Person, str, int] | None:
        if self._current is None and self._raw:
            self._current = self._codec.decode(self._raw)
            if self._current is None:
                self.clear()  # tampered with or too old
        if self._current is None:
            return None
        if self._tokens.revocations is not None and await self._tokens.revocations.signed_out(
            unverified_claims(self._current[1]).get("origin_jti")
        ):
            # Signed out through this server (say from another device, with a copy of this cookie):
            # the session is over, and its cookies go.
            self.clear()
            self._refresh_cookie.clear()
            self._signed_out = True
            return None
        if self._current[2] > self._clock():
            return self._current
        if not self._refresh_cookie.present:
            # The Strict refresh cookie is not sent on a navigation from another site: nothing can
            # be renewed on this request, but the session is not over.
            return None
        try:
            result = await refreshed_tokens(self._cognito, self._refresh_cookie, self._refresh_cookie.current())
        except ApiError as error:
            if error.code in ("NoSession", "SessionExpired"):
                self.clear()
                self._refresh_cookie.clear()
                return None
            raise
        try:
            identity = await self._tokens.verify_id_token(result["IdToken"])
            access = await self._tokens.verify_access_token(result["AccessToken"])
            if access["sub"] != identity["sub"]:
                raise ApiError("InvalidToken")
        except ApiError as error:
            if error.code in ("InvalidToken", "TokenExpired"):
                # Tokens this server cannot take now, it cannot take on the next request either:
                # signed out here, rather than a refresh on every request.
                self.clear()
                self._refresh_cookie.clear()
            raise
        self.start(Person.from_id_token(identity), result["AccessToken"], result["ExpiresIn"])
        return self._current
