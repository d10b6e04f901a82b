"""The refresh cookie (server/refresh_cookie.py): its attributes, its signature (server/signing.py)
refusing tampering, other purposes and age, secret rotation, and reading it among malformed cookies
(server/cookies.py)."""

from __future__ import annotations

import time

from tornado.web import create_signed_value

from server.cookies import read_cookie
from server.refresh_cookie import REFRESH_COOKIE, RefreshCookieCodec, StoredRefreshToken
from server.signing import SignedValues, key_version


SESSION = StoredRefreshToken(refresh_token="rt-123", username="3f1c-sub")


def test_cookie_round_trip_and_attributes():
    codec = RefreshCookieCodec(("s1",), 30)
    header = codec.set_cookie_header(SESSION)
    name, _, rest = header.partition("=")
    value, *attributes = rest.split("; ")
    assert name == REFRESH_COOKIE
    assert set(attributes) == {"Max-Age=2592000", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"}
    assert "Domain" not in header  # the __Host- prefix forbids it
    assert codec.decode(value) == SESSION
    assert "rt-123" not in repr(codec.decode(value))


def test_cookie_tampering_is_refused():
    codec = RefreshCookieCodec(("s1",), 30)
    value = codec.encode(SESSION)
    assert codec.decode(value[:-2] + ("00" if not value.endswith("00") else "11")) is None
    assert codec.decode("garbage") is None
    assert RefreshCookieCodec(("other",), 30).decode(value) is None


def test_cookie_secret_rotation_keeps_old_cookies_valid():
    old = RefreshCookieCodec(("old",), 30).encode(SESSION)
    rotated = RefreshCookieCodec(("new", "old"), 30)
    assert rotated.decode(old) == SESSION  # signed with the old secret, still accepted
    fresh = rotated.encode(SESSION)
    assert RefreshCookieCodec(("new",), 30).decode(fresh) == SESSION  # signed with the new one
    assert RefreshCookieCodec(("old",), 30).decode(fresh) is None


def test_expired_cookie_is_refused():
    codec = RefreshCookieCodec(("s1",), 1)
    version = key_version("s1")
    stale = create_signed_value(
        {version: "s1"},
        REFRESH_COOKIE,
        '{"t":"rt","u":"u"}',
        version=2,
        key_version=version,
        clock=lambda: time.time() - 2 * 86400,
    ).decode()
    assert codec.decode(stale) is None
    fresh = create_signed_value(
        {version: "s1"}, REFRESH_COOKIE, '{"t":"rt","u":"u"}', version=2, key_version=version
    ).decode()
    assert codec.decode(fresh) == StoredRefreshToken("rt", "u")


def test_a_value_signed_for_one_purpose_is_refused_for_another():
    challenge = SignedValues(("s1",), "challenge", 1).encode({"t": "rt", "u": "u"})
    assert RefreshCookieCodec(("s1",), 30).decode(challenge) is None
    assert SignedValues(("s1",), "challenge", 1).decode(challenge) == {"t": "rt", "u": "u"}


def test_read_cookie_survives_other_malformed_cookies():
    assert read_cookie('a="unterminated; __Host-refresh=v1', REFRESH_COOKIE) == "v1"
    assert read_cookie("x=1; __Host-refresh=v2", REFRESH_COOKIE) == "v2"
    assert read_cookie("", REFRESH_COOKIE) is None


def test_the_sessions_origin_jtis_and_token_lifetime_round_trip():
    codec = RefreshCookieCodec(("s1",), 30)
    stored = StoredRefreshToken.of_sign_in("rt", {"username": "u", "origin_jti": "j1"}, 3600)
    assert (stored.origin_jtis, stored.access_lifetime) == (("j1",), 3600)
    assert codec.decode(codec.encode(stored)) == stored
    # A new origin_jti (a pool that starts one as it rotates) comes first; a few are kept, no repeats.
    renewed = stored
    for jti in ("j2", "j3", "j2", "j4", "j5"):
        renewed = renewed.renewed(None, {"origin_jti": jti})
    assert renewed.origin_jtis == ("j5", "j4", "j2", "j3") and renewed.refresh_token == "rt"
    assert stored.renewed("rt2", {"origin_jti": "j1"}) == StoredRefreshToken("rt2", "u", ("j1",), 3600)
    assert stored.renewed(None, {}) == stored  # an access token without the claim changes nothing


def test_a_cookie_with_malformed_session_fields_is_refused():
    signed = SignedValues(("s1",), REFRESH_COOKIE, 30)
    codec = RefreshCookieCodec(("s1",), 30)
    for value in ({"t": "rt", "u": "u", "j": "j1", "l": 3600}, {"t": "rt", "u": "u", "j": ["j1"], "l": "3600"}):
        assert codec.decode(signed.encode(value)) is None
    assert codec.decode(signed.encode({"t": "rt", "u": "u", "j": ["j1", 5], "l": 60})).origin_jtis == ("j1",)
