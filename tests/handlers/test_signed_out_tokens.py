"""Access tokens of a signed-out session, over real HTTP against the local Cognito: they delete nothing
(Cognito is asked), and after a sign-out made through this server they read nothing either (the
session's origin_jti is remembered until its tokens expire): the photos API, the browser session and
/me. A refresh cookie written before the server kept the origin_jti still works."""

from __future__ import annotations

import uuid

import jwt
import pytest

from server.refresh_cookie import RefreshCookieCodec, StoredRefreshToken
from server.revocations import LONGEST_ACCESS_TOKEN_SECONDS, LocalRecords, Revocations
from tests.support import CODE, PASSWORD, Client, Photos, picture
from tests.support.hosted_ui import me_answer, signed_in_browser


def new_person(base_url: str) -> tuple[Photos, str]:
    client = Client(base_url)
    email = f"out-{uuid.uuid4().hex[:12]}@example.com"
    assert client.call("createAccount", user=email, nickname="Sam", **{"pass": PASSWORD}).status == 200
    reply = client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD})
    assert reply.status == 200, reply.body
    return Photos(client, reply.json["access_token"]), email


def fresh_photos(base_url: str, email: str) -> Photos:
    """The person's photos API through a sign-in of its own."""
    client = Client(base_url)
    reply = client.call("signIn", user=email, **{"pass": PASSWORD})
    assert reply.status == 200, reply.body
    return Photos(client, reply.json["access_token"])


def listed_ids(photos: Photos) -> list[str]:
    reply = photos.list()
    assert reply.status == 200, reply.body
    return [photo["id"] for photo in reply.json["photos"]]


def assert_invalid_token(reply) -> None:
    assert (reply.status, reply.json["error"]) == (401, "InvalidToken"), reply.body


def claim(token: str, name: str):
    return jwt.decode(token, options={"verify_signature": False})[name]


def test_a_signed_out_token_deletes_nothing_and_reads_nothing(base_url):
    person, email = new_person(base_url)
    photo = person.upload(picture(), "kept").json["photo"]
    assert person.client.call("signOut").json == {"message": "OK", "revoked": True}
    assert_invalid_token(person.delete(photo["id"]))
    assert_invalid_token(person.list())
    assert_invalid_token(person.get(photo["id"], "thumbnail"))
    assert_invalid_token(person.get(photo["id"], "image"))
    assert_invalid_token(person.upload(picture(), "after"))
    assert listed_ids(fresh_photos(base_url, email)) == [photo["id"]]  # still there


def test_tokens_issued_by_refreshing_the_session_end_with_it(base_url):
    person, _ = new_person(base_url)
    refreshed = person.client.call("refresh").json["access_token"]
    assert claim(refreshed, "origin_jti") == claim(person.token, "origin_jti")  # one session
    assert claim(refreshed, "jti") != claim(person.token, "jti")
    assert person.client.call("signOut").status == 200
    for token in (person.token, refreshed):
        assert_invalid_token(Photos(person.client, token).list())


def test_a_global_sign_out_ends_this_sessions_reads_and_every_sessions_writes(base_url):
    person, email = new_person(base_url)
    photo = person.upload(picture()).json["photo"]
    other = fresh_photos(base_url, email)  # another device
    reply = person.client.call("signOut", access_token=person.token, **{"global": True})
    assert reply.json == {"message": "OK", "revoked": True}
    assert_invalid_token(person.list())
    # Cognito has ended the other device's session too: its token deletes and lists nothing (both
    # ask Cognito). This server never held that session, so the token still reads a picture whose id
    # it knows until it expires (docs/security.md says so).
    assert_invalid_token(other.delete(photo["id"]))
    assert_invalid_token(other.list())
    assert other.get(photo["id"], "image").status == 200


def test_a_sign_out_with_an_access_token_only_ends_that_tokens_reads(base_url):
    person, _ = new_person(base_url)
    holder = Client(base_url)  # no cookie: only the token
    assert holder.call("signOut", access_token=person.token, **{"global": True}).json["revoked"] is True
    assert_invalid_token(person.list())


def test_a_refused_global_sign_out_records_nothing_for_a_token_cognito_did_not_take(base_url):
    person, _ = new_person(base_url)
    forged = jwt.encode({"origin_jti": claim(person.token, "origin_jti"), "username": "x"}, "k" * 32, "HS256")
    reply = Client(base_url).call("signOut", access_token=forged, **{"global": True})
    assert reply.status == 200 and reply.json["revoked"] is False
    assert listed_ids(person) == []  # the real session reads on


@pytest.mark.parametrize("how", ["/logout", "signOut"])
def test_a_copy_of_the_browser_session_ends_with_a_sign_out(base_url, client, email, how):
    assert client.call("createAccount", user=email, nickname="Sam", **{"pass": PASSWORD}).status == 200
    assert client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200
    browser = signed_in_browser(base_url, email)
    copied = dict(browser.cookies)  # someone holding a copy of the browser's cookies
    copy = Client(base_url)
    copy.cookies = copied
    assert copy.request("GET", "/photos").status == 200
    if how == "/logout":
        assert browser.request("GET", "/logout", headers={"Sec-Fetch-Site": "same-origin"}).status == 302
    else:
        assert browser.call("signOut").status == 200
    reply = copy.request("GET", "/photos")
    assert_invalid_token(reply)
    assert reply.clears_cookie("__Host-session") and reply.clears_cookie("__Host-refresh")
    copy.cookies = copied
    reply = copy.request("GET", "/me")
    assert reply.json == me_answer() and reply.clears_cookie("__Host-session")
    copy.cookies = {"__Host-session": copied["__Host-session"]}
    assert_invalid_token(copy.call("getUser"))


def test_a_cookie_written_before_origin_jtis_were_kept_still_works(base_url, config):
    person, email = new_person(base_url)
    signed = Client(base_url).call("signIn", user=email, **{"pass": PASSWORD})
    [cookie] = [header for header in signed.set_cookies() if header.startswith("__Host-refresh=")]
    written = RefreshCookieCodec(config.cookie_secrets, config.refresh_cookie_days).decode(
        cookie.split(";")[0].split("=", 1)[1]
    )
    assert written.origin_jtis == (claim(signed.json["access_token"], "origin_jti"),)
    assert written.access_lifetime == signed.json["expires_in"]
    old = Client(base_url)
    old.cookies["__Host-refresh"] = RefreshCookieCodec(config.cookie_secrets, config.refresh_cookie_days).encode(
        StoredRefreshToken(written.refresh_token, written.username)
    )
    reply = old.call("refresh")
    assert reply.status == 200 and reply.json["access_token"], reply.body
    # The refresh wrote the session's origin_jti into the cookie: its sign-out stops the reads too.
    assert Photos(old, reply.json["access_token"]).list().status == 200
    assert old.call("signOut").json["revoked"] is True
    assert_invalid_token(Photos(old, reply.json["access_token"]).list())
    assert Client(base_url).call("signIn", user=email, **{"pass": PASSWORD}).status == 200


# --- the records themselves ---------------------------------------------------------------------


def test_records_expire_with_the_tokens_and_stay_bounded(caplog):
    records = LocalRecords(max_records=3)
    records.add("a", 10, now=0)
    assert records.has("a", now=9.9) and not records.has("a", now=10)
    for name in "bcde":
        records.add(name, 100, now=1)
    assert len(records) == 3 and not records.has("b", now=2) and records.has("e", now=2)
    assert "cap of 3" in caplog.text
    records.add("f", 100, now=500)  # the expired ones go as new ones come
    assert len(records) == 1


@pytest.mark.parametrize(
    "lifetime, kept",
    [(3600, 3600 + 120), (0, LONGEST_ACCESS_TOKEN_SECONDS + 120), (10**9, LONGEST_ACCESS_TOKEN_SECONDS + 120)],
)
def test_a_record_lasts_the_tokens_lifetime_and_twice_the_clock_allowance(lifetime, kept):
    assert Revocations(60).seconds_to_keep(lifetime) == kept
