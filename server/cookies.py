"""The refresh cookie: what it holds, how it is signed, and its attributes.

It carries Cognito's refresh token and the user name Cognito assigned (needed for SECRET_HASH on
REFRESH_TOKEN_AUTH). It is signed with Tornado's signed values (format 2, with a key version), so
``COOKIE_SECRET`` may list several secrets: the first signs, all of them verify, and a secret can be
rotated without signing everyone out. The key version of a secret is derived from the secret itself,
so adding or dropping other secrets never changes it.
"""

from __future__ import annotations

import dataclasses
import json
import zlib

from tornado.httputil import parse_cookie
from tornado.web import create_signed_value, decode_signed_value

from server.errors import ApiError

REFRESH_COOKIE = "__Host-refresh"


def key_version(secret: str) -> int:
    return zlib.crc32(secret.encode())


@dataclasses.dataclass(frozen=True)
class RefreshSession:
    refresh_token: str = dataclasses.field(repr=False)
    username: str


class RefreshCookieCodec:
    """Encodes and decodes the signed refresh cookie with the configured secrets."""

    def __init__(self, secrets: tuple[str, ...], lifetime_days: float):
        if not secrets:
            raise ValueError("at least one cookie secret is needed")
        self._secrets = {key_version(secret): secret for secret in secrets}
        self._current_version = key_version(secrets[0])
        self.lifetime_days = lifetime_days

    def encode(self, session: RefreshSession) -> str:
        payload = json.dumps({"t": session.refresh_token, "u": session.username}, separators=(",", ":"))
        return create_signed_value(self._secrets, REFRESH_COOKIE, payload,
                                   version=2, key_version=self._current_version).decode()

    def decode(self, value: str) -> RefreshSession | None:
        """The session in ``value``, or None when it is tampered with, expired or malformed."""
        try:
            raw = decode_signed_value(self._secrets, REFRESH_COOKIE, value,
                                      max_age_days=self.lifetime_days, min_version=2)
        except Exception:  # a value no signature check could parse is simply not a session
            return None
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return RefreshSession(refresh_token=data["t"], username=data["u"])
        except (ValueError, KeyError, TypeError):
            return None

    def set_cookie_header(self, session: RefreshSession) -> str:
        max_age = int(self.lifetime_days * 86400)
        return (f"{REFRESH_COOKIE}={self.encode(session)}; Max-Age={max_age}; Path=/; "
                "Secure; HttpOnly; SameSite=Strict")

    @staticmethod
    def clear_cookie_header() -> str:
        return (f"{REFRESH_COOKIE}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; "
                "Secure; HttpOnly; SameSite=Strict")


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
