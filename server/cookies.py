"""The refresh cookie: what it holds, how it is signed, and its attributes.

It carries Cognito's refresh token and the user name Cognito assigned (needed for SECRET_HASH on
REFRESH_TOKEN_AUTH). It is a signed value (``server.signing``), so ``COOKIE_SECRET`` may list
several secrets and a secret can be rotated without signing everyone out.
"""

from __future__ import annotations

import dataclasses

from tornado.httputil import parse_cookie

from server.errors import ApiError
from server.signing import SignedValues

REFRESH_COOKIE = "__Host-refresh"


@dataclasses.dataclass(frozen=True)
class RefreshSession:
    refresh_token: str = dataclasses.field(repr=False)
    username: str


class RefreshCookieCodec:
    """Encodes and decodes the signed refresh cookie with the configured secrets."""

    def __init__(self, secrets: tuple[str, ...], lifetime_days: float):
        self._signed = SignedValues(secrets, REFRESH_COOKIE, lifetime_days)
        self.lifetime_days = lifetime_days

    def encode(self, session: RefreshSession) -> str:
        return self._signed.encode({"t": session.refresh_token, "u": session.username})

    def decode(self, value: str) -> RefreshSession | None:
        """The session in ``value``, or None when it is tampered with, expired or malformed."""
        data = self._signed.decode(value)
        try:
            return RefreshSession(refresh_token=data["t"], username=data["u"])
        except (KeyError, TypeError):
            return None

    def set_cookie_header(self, session: RefreshSession) -> str:
        max_age = int(self.lifetime_days * 86400)
        return host_cookie_header(REFRESH_COOKIE, self.encode(session), max_age, "Strict")

    @staticmethod
    def clear_cookie_header() -> str:
        return host_cookie_header(REFRESH_COOKIE, "", 0, "Strict")


def host_cookie_header(name: str, value: str, max_age: int, same_site: str) -> str:
    """A Set-Cookie header for one of our ``__Host-`` cookies: Secure, HttpOnly, Path=/ and no Domain,
    as the prefix demands. ``max_age`` 0 deletes it (with an Expires in the past for old browsers)."""
    expires = "; Expires=Thu, 01 Jan 1970 00:00:00 GMT" if max_age == 0 else ""
    return f"{name}={value}; Max-Age={max_age}{expires}; Path=/; Secure; HttpOnly; SameSite={same_site}"


def read_cookie(cookie_header: str, name: str) -> str | None:
    """The value of cookie ``name`` in a Cookie request header, or None.

    Tornado's lenient parser: one malformed cookie from another app on the same host must not hide
    ours.
    """
    return parse_cookie(cookie_header or "").get(name) or None


class SessionCookies:
    """What one request knows about the refresh cookie, and what its answer must do to it."""

    def __init__(self, codec: RefreshCookieCodec, cookie_header: str):
        self._codec = codec
        self._raw = read_cookie(cookie_header, REFRESH_COOKIE)
        # The Set-Cookie header the answer carries, if any (the last change wins).
        self.set_cookie: str | None = None

    @property
    def present(self) -> bool:
        return bool(self._raw)

    def current(self) -> RefreshSession:
        """The refresh session from the cookie; ApiError 401 when missing, expired or tampered."""
        if not self._raw:
            raise ApiError("NoSession")
        session = self._codec.decode(self._raw)
        if session is None:
            self.clear()
            raise ApiError("SessionExpired")
        return session

    def store(self, session: RefreshSession) -> None:
        self.set_cookie = self._codec.set_cookie_header(session)

    def clear(self) -> None:
        self.set_cookie = self._codec.clear_cookie_header()
