"""Requests forged by pages of other origins, with the headers browsers send, over real HTTP: a page on
another port of the same host is the same site, so the Strict refresh cookie goes with its requests;
the methods that read or set that cookie refuse it (403 UntrustedOrigin, the cookie left alone), and
so does /logout's POST, while a link from such a page to /logout only shows this site's own button.
This site's pages, allowed origins and clients that are not pages are unaffected."""

from __future__ import annotations

import dataclasses
import json
import urllib.parse

import pytest

from tests.support import CODE, PASSWORD, Client, serve_app
from tests.support.hosted_ui import me_answer, signed_in_browser

# Every method that reads or sets the refresh cookie, with fields it would take.
COOKIE_METHODS = {
    "signIn": {"user": "sam@example.com", "pass": PASSWORD},
    "confirmAccount": {"user": "sam@example.com", "pass": PASSWORD, "conf_code": CODE},
    "respondToChallenge": {"session": "x", "totp": "123456"},
    "refresh": {},
    "signOut": {"global": True},
    "changePass": {"old_pass": PASSWORD, "new_pass": PASSWORD + "_2", "access_token": "x"},
    "deleteAcct": {"access_token": "x"},
}


def sibling(base_url: str) -> str:
    """The origin of a page on another port of the server's host: the same site, another origin."""
    parts = urllib.parse.urlsplit(base_url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port + 1}"


def forged(client: Client, payload: dict, **headers: str):
    """A text/plain POST (no CORS preflight) with the cookies, as a page's fetch or form sends it."""
    return client.request("POST", "/", json.dumps(payload).encode(), {"Content-Type": "text/plain", **headers})


def assert_refused(reply) -> None:
    assert (reply.status, reply.json["error"]) == (403, "UntrustedOrigin"), reply.body
    assert "sign-in" in reply.json["message"]
    assert not reply.set_cookies(), reply.set_cookies()  # nothing cleared, nothing set
    assert "Access-Control-Allow-Origin" not in reply.headers


def assert_still_signed_in(client: Client) -> None:
    reply = client.call("refresh")
    assert reply.status == 200, reply.body
    assert client.call("getUser", access_token=reply.json["access_token"]).status == 200


def test_a_sibling_origin_cannot_sign_the_person_out_everywhere(base_url, signed_in):
    client, _, tokens = signed_in
    other_device = Client(base_url)
    assert other_device.call("signIn", user=signed_in[1], **{"pass": PASSWORD}).status == 200
    reply = forged(
        client, {"env": "signOut", "global": True}, Origin=sibling(base_url), **{"Sec-Fetch-Site": "same-site"}
    )
    assert_refused(reply)
    assert "__Host-refresh" in client.cookies
    assert_still_signed_in(client)
    assert_still_signed_in(other_device)
    assert client.call("getUser", access_token=tokens["access_token"]).status == 200


def test_a_sibling_origin_gets_no_tokens_from_refresh(base_url, signed_in):
    client, _, _ = signed_in
    reply = forged(client, {"env": "refresh"}, Origin=sibling(base_url), **{"Sec-Fetch-Site": "same-site"})
    assert_refused(reply)
    assert b"access_token" not in reply.body and b"eyJ" not in reply.body
    assert_still_signed_in(client)


@pytest.mark.parametrize("method", sorted(COOKIE_METHODS))
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "SIBLING", "Sec-Fetch-Site": "same-site"},
        {"Origin": "SIBLING"},  # a browser without Sec-Fetch-Site: the origin alone decides
        {"Sec-Fetch-Site": "same-site"},  # a form of a sibling origin whose Origin the browser left out
        {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    ],
    ids=["sibling", "sibling-without-fetch-metadata", "same-site-without-origin", "cross-site", "opaque-origin"],
)
def test_every_method_that_uses_the_refresh_cookie_refuses_other_origins(base_url, signed_in, method, headers):
    client, _, _ = signed_in
    headers = {name: sibling(base_url) if value == "SIBLING" else value for name, value in headers.items()}
    assert_refused(forged(client, {"env": method, **COOKIE_METHODS[method]}, **headers))
    assert_still_signed_in(client)


def test_json_rpc_calls_are_refused_alike(base_url, signed_in):
    client, _, _ = signed_in
    batch = [
        {"jsonrpc": "2.0", "method": "signOut", "params": {"global": True}, "id": 1},
        {"jsonrpc": "2.0", "method": "refresh", "id": 2},
    ]
    reply = forged(client, batch, Origin=sibling(base_url), **{"Sec-Fetch-Site": "same-site"})
    assert reply.status == 200 and not reply.set_cookies()
    assert [answer["error"]["data"]["error"] for answer in reply.json] == ["UntrustedOrigin", "UntrustedOrigin"]
    assert_still_signed_in(client)


def test_methods_that_do_not_use_the_cookie_are_not_refused(base_url, signed_in):
    client, email, tokens = signed_in
    reply = forged(
        client,
        {"env": "getUser", "access_token": tokens["access_token"]},
        Origin=sibling(base_url),
        **{"Sec-Fetch-Site": "same-site"},
    )
    assert reply.status == 200 and reply.json["attributes"]["email"] == email


def test_this_sites_pages_and_clients_that_are_not_pages_may(base_url, signed_in):
    client, _, _ = signed_in
    for headers in (
        {"Origin": base_url, "Sec-Fetch-Site": "same-origin"},  # the page's own fetch
        {"Origin": base_url},  # an older browser
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},  # the person typed the address
        {},
    ):  # curl, Postman, a server
        reply = forged(client, {"env": "refresh"}, **headers)
        assert reply.status == 200 and reply.json["access_token"], (headers, reply.body)
    # The browser's word that the page is of this origin counts even where BASE_URL names the host
    # otherwise (http://localhost and http://127.0.0.1 are both this server).
    reply = forged(
        client,
        {"env": "refresh"},
        Origin=base_url.replace("127.0.0.1", "localhost"),
        **{"Sec-Fetch-Site": "same-origin"},
    )
    assert reply.status == 200


def test_an_allowed_origin_may_use_the_cookie_with_cors(config, signed_in):
    client, _, _ = signed_in
    allowed = "http://localhost:5173"
    server = serve_app(dataclasses.replace(config, allowed_origins=(allowed,)))
    try:
        client.base_url = f"http://127.0.0.1:{server.port}"
        client.jar(client.base_url).update(client.jar(config.base_url))
        reply = forged(client, {"env": "refresh"}, Origin=allowed, **{"Sec-Fetch-Site": "same-site"})
        assert reply.status == 200 and reply.headers["Access-Control-Allow-Origin"] == allowed
        reply = forged(client, {"env": "refresh"}, Origin="http://localhost:5174", **{"Sec-Fetch-Site": "same-site"})
        assert_refused(reply)
    finally:
        server.stop()


def test_without_base_url_an_older_browser_is_judged_by_the_host_it_called(config, signed_in):
    client, _, _ = signed_in
    server = serve_app(dataclasses.replace(config, base_url=None))
    try:
        own = f"http://127.0.0.1:{server.port}"
        client.base_url = own
        client.jar(own).update(client.jar(config.base_url))
        assert forged(client, {"env": "refresh"}, Origin=own).status == 200
        assert_refused(forged(client, {"env": "refresh"}, Origin=f"http://127.0.0.1:{server.port + 1}"))
        assert forged(client, {"env": "refresh"}, Origin=own, **{"Sec-Fetch-Site": "same-origin"}).status == 200
    finally:
        server.stop()


# --- /logout ------------------------------------------------------------------------------------


@pytest.fixture
def person(client, email):
    assert client.call("createAccount", user=email, nickname="Sam", **{"pass": PASSWORD}).status == 200
    assert client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200
    return email


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_link_from_another_site_to_logout_shows_a_button_and_signs_nothing_out(base_url, person, site):
    browser = signed_in_browser(base_url, person)
    page = browser.request("GET", "/logout", headers={"Sec-Fetch-Site": site, "Accept": "text/html"})
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.form("/logout") == {} and b"method=post" in page.body and b"<script" not in page.body
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    assert not page.set_cookies()
    assert browser.request("GET", "/me").json["signed_in"] is True
    assert_still_signed_in(browser)


def test_the_sign_out_button_posts_from_this_site_and_signs_out(base_url, person):
    browser = signed_in_browser(base_url, person)
    kept = dict(browser.cookies)
    reply = browser.request(
        "POST",
        "/logout",
        b"",
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": base_url, "Sec-Fetch-Site": "same-origin"},
    )
    assert reply.status == 303 and "/logout?" in reply.location
    assert reply.clears_cookie("__Host-refresh") and reply.clears_cookie("__Host-session")
    thief = Client(base_url)
    thief.cookies = kept
    assert thief.call("refresh").json["error"] == "SessionExpired"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "SIBLING", "Sec-Fetch-Site": "same-site"},
        {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    ],
    ids=["sibling", "cross-site"],
)
def test_a_sign_out_form_of_another_origin_is_refused(base_url, person, headers):
    browser = signed_in_browser(base_url, person)
    headers = {name: sibling(base_url) if value == "SIBLING" else value for name, value in headers.items()}
    reply = browser.request(
        "POST", "/logout", b"", {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", **headers}
    )
    assert reply.status == 403 and b"sign-out button" in reply.body and not reply.set_cookies()
    assert browser.request("GET", "/me").json["signed_in"] is True
    assert_still_signed_in(browser)


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {}],
    ids=["the-pages-own-button", "typed", "not-a-browser"],
)
def test_a_navigation_of_this_site_to_logout_signs_out_at_once(base_url, person, headers):
    browser = signed_in_browser(base_url, person)
    reply = browser.request("GET", "/logout", headers=headers)
    assert reply.status == 302 and reply.clears_cookie("__Host-session") and reply.clears_cookie("__Host-refresh")
    assert browser.request("GET", "/me").json == me_answer()
