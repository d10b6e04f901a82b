"""Hosted-UI sign-in over real HTTP: /login's redirect, /callback's refusals, /logout and /me, and the
whole flow through the local Cognito's hosted UI, following redirects like a browser."""

from __future__ import annotations

import urllib.parse

import pytest

from handlers.hosted_ui import safe_next
from server.config import load_config
from server.errors import ApiError
from tests.support import Client, StandInCognito, serve_app


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


@pytest.mark.parametrize("value", ["/", "/photos", "/photos?page=2#top", "/a/b/c"])
def test_next_may_be_a_path_of_this_site(value):
    assert safe_next(value) == value


@pytest.mark.parametrize("value", ["https://evil.example", "//evil.example", "/\\evil.example", "evil.example",
                                   "javascript:alert(1)", "/ok\r\nSet-Cookie: x=1", "http:/evil.example"])
def test_next_refuses_anything_that_leaves_the_site(value):
    with pytest.raises(ApiError) as caught:
        safe_next(value)
    assert caught.value.code == "InvalidNext"


def test_login_redirects_to_the_hosted_ui_with_pkce_state_and_nonce(base_url, config):
    reply = Client(base_url).request("GET", "/login?next=/photos", follow=False)
    assert reply.status == 302
    location = reply.headers["Location"]
    assert location.startswith(config.hosted_ui_url + "/oauth2/authorize?")
    query = query_of(location)
    assert query["response_type"] == "code" and query["client_id"] == config.client_id
    assert query["redirect_uri"] == f"{config.base_url}/callback"
    assert query["scope"] == "openid email profile"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert "identity_provider" not in query
    [cookie] = [c for c in reply.set_cookies() if c.startswith("__Host-oauth-state=")]
    for attribute in ("Max-Age=600", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"):
        assert attribute in cookie.split("; ")
    for secret_part in (query["state"], query["nonce"]):
        assert secret_part not in location.split("state=")[0]  # nothing secret beyond what is sent
    # Every login is a new state, verifier and nonce.
    other = query_of(Client(base_url).request("GET", "/login", follow=False).headers["Location"])
    assert other["state"] != query["state"] and other["code_challenge"] != query["code_challenge"]


def test_login_with_a_provider_goes_straight_to_it(base_url):
    location = Client(base_url).request("GET", "/login?provider=LoginWithAmazon", follow=False).headers["Location"]
    assert query_of(location)["identity_provider"] == "LoginWithAmazon"
    reply = Client(base_url).request("GET", "/login?provider=" + urllib.parse.quote("<script>"), follow=False)
    assert (reply.status, reply.json["error"]) == (400, "InvalidProvider")


def test_login_refuses_an_absolute_next(base_url):
    reply = Client(base_url).request("GET", "/login?next=https://evil.example", follow=False)
    assert (reply.status, reply.json["error"]) == (400, "InvalidNext")
    assert "Location" not in reply.headers
    page = Client(base_url).request("GET", "/login?next=//evil.example", headers={"Accept": "text/html"},
                                    follow=False)
    assert page.status == 400 and page.headers["Content-Type"].startswith("text/html")
    assert b"can only lead to a page of this site" in page.body and b"evil.example" not in page.body


def test_callback_without_the_state_cookie_or_with_another_state_starts_no_session(base_url):
    browser = Client(base_url)
    reply = browser.request("GET", "/callback?code=abc&state=xyz", headers={"Accept": "text/html"}, follow=False)
    assert reply.status == 400 and b"did not start here" in reply.body
    assert browser.cookies.get("__Host-session") is None and "__Host-refresh" not in browser.cookies

    browser.request("GET", "/login", follow=False)  # now there is a state cookie, for another state
    reply = browser.request("GET", "/callback?code=abc&state=not-the-one", follow=False)
    assert (reply.status, reply.json["error"]) == (400, "SignInStateMismatch")
    assert "__Host-oauth-state" not in browser.cookies  # the attempt is over
    assert "__Host-session" not in browser.cookies


def test_an_error_answer_from_the_hosted_ui_starts_no_session(base_url):
    browser = Client(base_url)
    state = query_of(browser.request("GET", "/login", follow=False).headers["Location"])["state"]
    reply = browser.request("GET", f"/callback?error=access_denied&state={state}", follow=False)
    assert (reply.status, reply.json["error"]) == (400, "SignInFailed")
    assert "__Host-session" not in browser.cookies and "__Host-refresh" not in browser.cookies


def test_me_without_a_session_says_signed_out(base_url):
    reply = Client(base_url).request("GET", "/me")
    assert (reply.status, reply.json) == (200, {"signed_in": False})


def test_without_domain_and_base_url_the_routes_answer_503():
    cognito = StandInCognito()
    config = load_config({"COGNITO_REGION_NAME": "eu-west-1", "COGNITO_USER_POOL_ID": "eu-west-1_abc",
                          "COGNITO_USER_CLIENT_ID": "client", "COGNITO_CLIENT_SECRET": "secret",
                          "COOKIE_SECRET": "k", "COGNITO_ENDPOINT_URL": cognito.url})
    server = serve_app(config)
    try:
        client = Client(server.url)
        for path in ("/login", "/callback?code=x&state=y", "/logout"):
            reply = client.request("GET", path, follow=False)
            assert (reply.status, reply.json["error"]) == (503, "HostedUiOff"), path
        assert client.request("GET", "/me").json == {"signed_in": False}
    finally:
        server.stop()
        cognito.stop()
