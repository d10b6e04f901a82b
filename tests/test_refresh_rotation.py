"""Refresh-token rotation through this server, over real HTTP: the ``refresh`` method, sign-out, and the
browser session's silent renewal, against a local Cognito whose app client rotates refresh tokens
(and one whose client does not); and the fall-back to REFRESH_TOKEN_AUTH against moto's own server,
which lacks GetTokensFromRefreshToken, decided once per process and not by a passing fault.

Time inside a local Cognito is its pool's clock, moved forward here instead of sleeping through the
grace period; only the browser-session test waits for its (three-second) access token to run out.
"""

from __future__ import annotations

import collections
import concurrent.futures
import html.parser
import json
import logging
import os
import subprocess
import sys
import time
import urllib.parse
import uuid

import boto3
import pytest
import tornado.httpclient
import tornado.web

from local_cognito import start_local_cognito
from server.background import BackgroundServer
from server.config import ConfigError, load_config
from server.refresh_cookie import RefreshCookieCodec
from tests.support import CODE, PASSWORD, Client, free_port, local_config, serve_app, wait_for_port

GRACE = 30
ACCESS_TOKEN_SECONDS = 3


class Clock:
    """Real time, plus however far a test has moved it on."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """{"on": ..., "off": ...}: for each, a local Cognito whose app client rotates refresh tokens (or
    not), with 3-second access tokens and a settable clock, and a server on it: (base URL, clock,
    config)."""
    started = {}
    for rotation in ("on", "off"):
        data = str(tmp_path_factory.mktemp(f"rotation-{rotation}"))
        local, config = start_local_cognito(load_config(local_config(
            data, LOCAL_COGNITO_REFRESH_ROTATION=rotation, LOCAL_COGNITO_ROTATION_GRACE_SECONDS=str(GRACE))),
            access_token_seconds=ACCESS_TOKEN_SECONDS)
        clock = Clock()
        local.pool.clock = clock
        server = serve_app(config, config.port)
        started[rotation] = (local, server, clock, config)
    yield {rotation: (config.base_url, clock, config) for rotation, (_, _, clock, config) in started.items()}
    for local, server, _, _ in started.values():
        server.stop()
        local.stop()


@pytest.fixture
def rotating(servers):
    return servers["on"]


def signed_in(base_url: str) -> Client:
    """A new confirmed account, signed in: a client holding its refresh cookie."""
    client = Client(base_url)
    email = f"rotation-{uuid.uuid4().hex[:12]}@example.com"
    assert client.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    assert client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200
    return client


def stored(config, cookie: str):
    """What a refresh cookie holds (token and assigned user name), read with the server's secrets."""
    return RefreshCookieCodec(config.cookie_secrets, config.refresh_cookie_days).decode(cookie)


def with_cookie(base_url: str, cookie: str) -> Client:
    other = Client(base_url)
    other.cookies["__Host-refresh"] = cookie
    return other


def assert_refused_and_cleared(reply) -> None:
    assert (reply.status, reply.json["error"]) == (401, "SessionExpired"), reply.body
    assert any(h.startswith("__Host-refresh=;") and "Max-Age=0" in h for h in reply.set_cookies())


# --- rotation on -----------------------------------------------------------------------------------------

def test_ten_refreshes_in_a_row_each_rotate_and_old_cookies_end_after_the_grace(rotating):
    base_url, clock, config = rotating
    client = signed_in(base_url)
    username = stored(config, client.cookies["__Host-refresh"]).username
    old_cookies = []
    for _ in range(10):
        before = client.cookies["__Host-refresh"]
        reply = client.call("refresh")
        assert reply.status == 200, reply.body
        assert client.call("getUser", access_token=reply.json["access_token"]).status == 200
        after = stored(config, client.cookies["__Host-refresh"])
        assert after.refresh_token != stored(config, before).refresh_token  # a new token replaced it
        assert after.username == username  # with the same assigned user name
        old_cookies.append(before)
    clock.offset += GRACE + 1
    for old in old_cookies:
        assert_refused_and_cleared(with_cookie(base_url, old).call("refresh"))
    assert client.call("refresh").status == 200  # the newest still works


def test_an_old_cookie_replayed_inside_the_grace_period_still_works(rotating):
    base_url, clock, config = rotating
    client = signed_in(base_url)
    old = client.cookies["__Host-refresh"]
    assert client.call("refresh").status == 200
    clock.offset += GRACE - 5
    replay = with_cookie(base_url, old)
    reply = replay.call("refresh")
    assert reply.status == 200, reply.body
    replayed_token = stored(config, replay.cookies["__Host-refresh"]).refresh_token
    assert replayed_token not in (stored(config, old).refresh_token,
                                  stored(config, client.cookies["__Host-refresh"]).refresh_token)
    clock.offset += 5
    assert_refused_and_cleared(with_cookie(base_url, old).call("refresh"))
    assert replay.call("refresh").status == 200 and client.call("refresh").status == 200


def test_two_tabs_refreshing_at_once_both_succeed_and_the_cookie_works_after(rotating):
    base_url, clock, config = rotating
    tab = signed_in(base_url)
    old = tab.cookies["__Host-refresh"]
    other_tab = with_cookie(base_url, old)
    for _ in range(3):
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            replies = list(pool.map(lambda client: client.call("refresh"), (tab, other_tab)))
        assert [reply.status for reply in replies] == [200, 200], [reply.body for reply in replies]
        # The browser has one cookie jar: whichever answer came last set the cookie.
        tokens = {stored(config, tab.cookies["__Host-refresh"]).refresh_token,
                  stored(config, other_tab.cookies["__Host-refresh"]).refresh_token}
        assert len(tokens) == 2 and stored(config, old).refresh_token not in tokens
        last = tab.cookies["__Host-refresh"]
        other_tab.cookies["__Host-refresh"] = last
        old = last
    clock.offset += GRACE + 1
    assert tab.call("refresh").status == 200  # the cookie kept holds a token that works


def test_sign_out_revokes_every_rotated_token_and_the_access_tokens_issued_from_them(rotating):
    base_url, _, _ = rotating
    client = signed_in(base_url)
    cookies, access_tokens = [], []
    for _ in range(3):
        cookies.append(client.cookies["__Host-refresh"])
        access_tokens.append(client.call("refresh").json["access_token"])
    assert client.call("signOut").status == 200
    for cookie in cookies:  # still inside their grace period, yet refused: the family is revoked
        assert_refused_and_cleared(with_cookie(base_url, cookie).call("refresh"))
    for token in access_tokens:
        assert client.call("getUser", access_token=token).status == 401


def test_global_sign_out_with_a_rotating_cookie_ends_every_session(rotating):
    base_url, _, _ = rotating
    laptop = signed_in(base_url)
    phone = with_cookie(base_url, laptop.cookies["__Host-refresh"])
    assert phone.call("refresh").status == 200  # the phone now has a family member of its own
    assert laptop.call("signOut", **{"global": True}).status == 200
    assert "__Host-refresh" not in laptop.cookies
    assert_refused_and_cleared(phone.call("refresh"))


# --- rotation off ----------------------------------------------------------------------------------------

def test_without_rotation_the_cookie_keeps_its_token_and_old_cookies_keep_working(servers):
    base_url, clock, config = servers["off"]
    client = signed_in(base_url)
    first = client.cookies["__Host-refresh"]
    token = stored(config, first).refresh_token
    for _ in range(3):
        assert client.call("refresh").status == 200
        assert stored(config, client.cookies["__Host-refresh"]).refresh_token == token
    clock.offset += 3600
    assert with_cookie(base_url, first).call("refresh").status == 200


# --- the browser session's renewal -----------------------------------------------------------------------

class _Form(html.parser.HTMLParser):
    """The first form of a page: its action and fields."""

    def __init__(self):
        super().__init__()
        self.action, self.fields = None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action", "")
        elif tag == "input" and self.action is not None and attrs.get("name"):
            self.fields.append((attrs["name"], attrs.get("type", "text"), attrs.get("value", "")))


def hosted_ui_sign_in(base_url: str) -> Client:
    """A new account, signed in through the hosted UI: a browser with the session and refresh cookies."""
    browser = Client(base_url)
    email = f"browser-{uuid.uuid4().hex[:12]}@example.com"
    assert browser.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    assert browser.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200
    browser.jars.clear()
    page = browser.request("GET", "/login?next=/me", headers={"Accept": "text/html"}, follow=True)
    form = _Form()
    form.feed(page.body.decode())
    values = [(name, email if kind == "email" or name in ("username", "email") else
               PASSWORD if kind == "password" else value) for name, kind, value in form.fields]
    landed = browser.request("POST", urllib.parse.urljoin(page.url, form.action),
                             urllib.parse.urlencode(values).encode(),
                             {"Content-Type": "application/x-www-form-urlencoded"}, follow=True)
    assert landed.json["signed_in"] is True, landed.body
    return browser


@pytest.mark.parametrize("rotation", ["on", "off"])
def test_the_browser_session_renews_with_the_refresh_cookie_and_keeps_a_rotated_token(servers, rotation):
    base_url, clock, config = servers[rotation]
    browser = hosted_ui_sign_in(base_url)
    session, refresh = browser.cookies["__Host-session"], browser.cookies["__Host-refresh"]
    time.sleep(ACCESS_TOKEN_SECONDS + 0.5)  # the session's access token is due for renewal
    assert browser.request("GET", "/me").json["signed_in"] is True
    assert browser.cookies["__Host-session"] != session
    assert browser.call("getUser").status == 200  # the renewed access token works
    renewed = stored(config, browser.cookies["__Host-refresh"]).refresh_token
    if rotation == "off":
        assert renewed == stored(config, refresh).refresh_token
        return
    assert renewed != stored(config, refresh).refresh_token  # the rotated token was kept
    clock.offset += GRACE + 1
    assert_refused_and_cleared(with_cookie(base_url, refresh).call("refresh"))
    assert browser.call("refresh").status == 200


# --- the settings ----------------------------------------------------------------------------------------

def test_the_rotation_settings_are_read_and_checked(tmp_path):
    defaults = load_config(local_config(str(tmp_path)))
    assert (defaults.local_refresh_rotation, defaults.local_rotation_grace_seconds) == (False, 60)
    chosen = load_config(local_config(str(tmp_path), LOCAL_COGNITO_REFRESH_ROTATION="on",
                                      LOCAL_COGNITO_ROTATION_GRACE_SECONDS="0"))
    assert (chosen.local_refresh_rotation, chosen.local_rotation_grace_seconds) == (True, 0)
    for name, value in (("LOCAL_COGNITO_REFRESH_ROTATION", "yes"), ("LOCAL_COGNITO_ROTATION_GRACE_SECONDS", "61"),
                        ("LOCAL_COGNITO_ROTATION_GRACE_SECONDS", "-1"), ("LOCAL_COGNITO_ROTATION_GRACE_SECONDS", "5s")):
        with pytest.raises(ConfigError, match=name):
            load_config(local_config(str(tmp_path), **{name: value}))
