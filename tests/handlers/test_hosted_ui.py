"""Hosted-UI sign-in over real HTTP: /login's redirect, /callback's refusals, /logout and /me, and the
whole flow through the local Cognito's hosted UI, following redirects like a browser."""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.parse
import uuid

import jwt
import pytest
import tornado.web

from handlers.hosted_ui import safe_next
from local_cognito import start_local_cognito
from local_cognito.tokens import TokenSigner
from server.background import BackgroundServer
from server.config import load_config
from server.errors import ApiError
from tests.support import CODE, PASSWORD, Client, Reply, StandInCognito, local_config, serve_app
from tests.support.hosted_ui import hosted_sign_in_page, me_answer, signed_in_browser, submit


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


@pytest.mark.parametrize("value", ["/", "/photos", "/photos?page=2#top", "/a/b/c"])
def test_next_may_be_a_path_of_this_site(value):
    assert safe_next(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "evil.example",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
        "http:/evil.example",
        "/a\x0bb",
        "/a\x0cb",
        "/a\x7fb",
        "/a\\b",
    ],
)
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
    assert query["scope"] == "openid email profile aws.cognito.signin.user.admin"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert "identity_provider" not in query
    [cookie] = [c for c in reply.set_cookies() if c.startswith("__Host-oauth-state=")]
    for attribute in ("Max-Age=600", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"):
        assert attribute in cookie.split("; ")
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
    page = Client(base_url).request("GET", "/login?next=//evil.example", headers={"Accept": "text/html"}, follow=False)
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
    assert (reply.status, reply.json) == (200, me_answer())


def test_me_says_whether_the_browser_holds_a_refresh_cookie_never_its_value(base_url, person):
    """The page calls `refresh` only when /me says there is a refresh cookie: a signed-out visit
    then makes no request answered with an error status."""
    browser = Client(base_url)
    assert browser.call("signIn", user=person, **{"pass": PASSWORD}).status == 200
    reply = browser.request("GET", "/me")
    assert reply.json == me_answer(refresh_cookie=True)  # signed in with JSON: no hosted-UI session
    assert browser.cookies["__Host-refresh"] not in reply.text
    assert browser.call("signOut").status == 200
    assert browser.request("GET", "/me").json == me_answer()
    # A cookie this server did not sign is still a cookie: `refresh` answers SessionExpired (and
    # clears it), which is what the page then shows.
    browser.cookies["__Host-refresh"] = "forged"
    assert browser.request("GET", "/me").json == me_answer(refresh_cookie=True)


def test_the_password_rules_are_the_local_pools(local_pool):
    """What /me hands the page is the policy moto describes for the local Cognito's pool (the
    checklist's pool on moto's server is checked in tests/moto_server/test_set_up.py)."""
    local, _ = local_pool
    described = local.pool.pool.to_json(extended=True)  # moto's DescribeUserPool answer
    policy = described["Policies"]["PasswordPolicy"]
    assert me_answer()["password_policy"] == {
        "min_length": policy["MinimumLength"],
        "require_lowercase": policy["RequireLowercase"],
        "require_uppercase": policy["RequireUppercase"],
        "require_numbers": policy["RequireNumbers"],
        "require_symbols": policy["RequireSymbols"],
    }


def test_without_domain_and_base_url_the_routes_answer_503():
    cognito = StandInCognito()
    config = load_config(
        {
            "COGNITO_REGION_NAME": "eu-west-1",
            "COGNITO_USER_POOL_ID": "eu-west-1_abc",
            "COGNITO_USER_CLIENT_ID": "client",
            "COGNITO_CLIENT_SECRET": "secret",
            "COOKIE_SECRET": "k",
            "COGNITO_ENDPOINT_URL": cognito.url,
        }
    )
    server = serve_app(config)
    try:
        client = Client(server.url)
        for path in ("/login", "/callback?code=x&state=y", "/logout"):
            reply = client.request("GET", path, follow=False)
            assert (reply.status, reply.json["error"]) == (503, "HostedUiOff"), path
        assert client.request("GET", "/me").json == me_answer()
    finally:
        server.stop()
        cognito.stop()


# --- the whole flow, through the local Cognito's hosted UI -----------------------------------------


def callback_url_of(browser: Client, page: Reply, email: str) -> str:
    """Sign in on the hosted UI and stop at the redirect back to /callback."""
    reply = submit(browser, page, follow=False, email=email, password=PASSWORD)
    assert reply.status == 302 and "/callback?" in reply.headers["Location"], (reply.status, reply.body[:300])
    return reply.headers["Location"]


@pytest.fixture
def person(client, email):
    assert client.call("createAccount", user=email, nickname="Sam", **{"pass": PASSWORD}).status == 200
    assert client.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200
    return email


def test_the_whole_hosted_ui_flow(base_url, config, person):
    browser = Client(base_url)
    page = hosted_sign_in_page(browser, "/login?next=/me")
    landed = submit(browser, page, email=person, password=PASSWORD)
    # Back through /callback to next=/me, signed in.
    assert landed.url == base_url + "/me", landed.url
    assert landed.json == me_answer(email=person, nickname="Sam", groups=[], refresh_cookie=True)
    assert "__Host-session" in browser.cookies and "__Host-refresh" in browser.cookies
    # Every attribute of the session cookie, as the callback set it.
    callback = browser.request("GET", "/login", follow=True)  # a second sign-in skips the form
    [session_cookie] = [c for c in callback.history_set_cookies if c.startswith("__Host-session=")]
    name_value, *attributes = session_cookie.split("; ")
    assert set(attributes) == {"Max-Age=2592000", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"}
    assert "__Host-oauth-state" not in browser.cookies

    # The JSON methods take the access token from the session.
    reply = browser.call("getUser")
    assert reply.status == 200 and reply.json["attributes"]["email"] == person
    assert browser.call("updateUser", nickname="Samantha").status == 200

    refresh_cookie = browser.cookies["__Host-refresh"]
    out = browser.request("GET", "/logout", follow=False)
    assert out.status == 302
    assert out.headers["Location"] == (
        f"{config.hosted_ui_url}/logout?client_id={config.client_id}"
        f"&logout_uri={urllib.parse.quote(config.base_url + '/', safe='')}"
    )
    assert "__Host-session" not in browser.cookies and "__Host-refresh" not in browser.cookies
    assert browser.request("GET", "/me").json == me_answer()
    # The refresh token was revoked, not only forgotten.
    thief = Client(base_url)
    thief.cookies["__Host-refresh"] = refresh_cookie
    assert thief.call("refresh").json["error"] == "SessionExpired"


def test_a_replayed_code_starts_no_session(base_url, person):
    browser = Client(base_url)
    callback = callback_url_of(browser, hosted_sign_in_page(browser), person)
    started = browser.cookies["__Host-oauth-state"]
    assert browser.request("GET", callback, follow=False).status == 302  # the first use signs in

    # The same callback again, with the state cookie it came with: the code itself is refused.
    replay = Client(base_url)
    replay.cookies["__Host-oauth-state"] = started
    reply = replay.request("GET", callback, follow=False)
    assert (reply.status, reply.json["error"]) == (400, "SignInFailed")
    assert "__Host-session" not in replay.cookies and "__Host-refresh" not in replay.cookies


def test_a_code_made_for_another_login_fails_its_pkce_check(base_url, person):
    victim, attacker = Client(base_url), Client(base_url)
    attacker_callback = callback_url_of(attacker, hosted_sign_in_page(attacker), person)
    # The victim's browser started its own login; the attacker slips in their code.
    state = query_of(victim.request("GET", "/login", follow=False).headers["Location"])["state"]
    code = query_of(attacker_callback)["code"]
    reply = victim.request("GET", f"/callback?code={code}&state={state}", follow=False)
    assert (reply.status, reply.json["error"]) == (400, "SignInFailed")
    assert "__Host-session" not in victim.cookies


# --- tokens from the token endpoint are checked, not trusted ---------------------------------------


class StandInTokenEndpoint:
    """A hosted UI's /oauth2/token that answers whatever tokens a test made."""

    def __init__(self):
        self.tokens: dict = {}
        endpoint = self

        class Handler(tornado.web.RequestHandler):
            def post(self):
                self.set_header("Content-Type", "application/json")
                self.finish(json.dumps(endpoint.tokens))

        async def build(port):
            return tornado.web.Application([(r"/oauth2/token", Handler)]), None

        self._server = BackgroundServer(build).start()
        self.url = self._server.url

    def stop(self):
        self._server.stop()


@pytest.fixture
def forging(config):
    endpoint = StandInTokenEndpoint()
    server = serve_app(dataclasses.replace(config, hosted_ui_url=endpoint.url))
    yield endpoint, f"http://127.0.0.1:{server.port}"
    server.stop()
    endpoint.stop()


def made_tokens(signer, config, nonce: str, **changes) -> dict:
    now, sub = int(time.time()), str(uuid.uuid4())
    identity = {
        "sub": sub,
        "iss": config.issuer,
        "aud": config.client_id,
        "token_use": "id",
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "email": "forged@example.com",
        **changes.get("id", {}),
    }
    access = {
        "sub": sub,
        "iss": config.issuer,
        "client_id": config.client_id,
        "token_use": "access",
        "iat": now,
        "exp": now + 300,
        "username": sub,
        **changes.get("access", {}),
    }
    sign = changes.get("sign", signer.sign)
    return {
        "id_token": sign(identity),
        "access_token": sign(access),
        "refresh_token": "r" * 40,
        "token_type": "Bearer",
        "expires_in": 300,
    }


def test_an_incomplete_token_answer_starts_no_session(forging, local_pool, config):
    endpoint, server_url = forging
    browser = Client(server_url)
    login = query_of(browser.request("GET", "/login", follow=False).headers["Location"])
    tokens = made_tokens(local_pool[0].pool.signer, config, login["nonce"])
    del tokens["refresh_token"]
    endpoint.tokens = tokens
    reply = browser.request("GET", f"/callback?code=c0de&state={login['state']}", follow=False)
    assert (reply.status, reply.json["error"]) == (400, "SignInFailed")
    assert "__Host-session" not in browser.cookies


@pytest.mark.parametrize(
    "case",
    [
        "good",
        "another key",
        "another nonce",
        "another audience",
        "expired",
        "access token of another client",
        "an access token as id token",
        "an access token of another user",
    ],
)
def test_callback_checks_the_tokens_it_is_given(forging, local_pool, config, tmp_path, case):
    endpoint, server_url = forging
    signer = local_pool[0].pool.signer
    browser = Client(server_url)
    login = query_of(browser.request("GET", "/login", follow=False).headers["Location"])
    nonce = login["nonce"]
    stranger = TokenSigner(str(tmp_path / "stranger.pem"))
    changes = {
        "good": {},
        "another key": {
            "sign": lambda claims: jwt.encode(claims, stranger._key, algorithm="RS256", headers={"kid": signer.kid})
        },
        "another nonce": {"id": {"nonce": "not-the-one"}},
        "another audience": {"id": {"aud": "another-client"}},
        "expired": {"id": {"exp": int(time.time()) - 70}},  # beyond the 60 s clock-skew allowance
        "access token of another client": {"access": {"client_id": "another-client"}},
        "an access token as id token": {"id": {"token_use": "access"}},
        "an access token of another user": {"access": {"sub": str(uuid.uuid4())}},
    }[case]
    endpoint.tokens = made_tokens(signer, config, nonce, **changes)
    reply = browser.request("GET", f"/callback?code=c0de&state={login['state']}", follow=False)
    if case == "good":
        assert reply.status == 302 and "__Host-session" in browser.cookies
        return
    assert reply.status == 401, reply.body
    assert reply.json["error"] == ("TokenExpired" if case == "expired" else "InvalidToken")
    assert "__Host-session" not in browser.cookies and "__Host-refresh" not in browser.cookies


# --- sessions that refresh instead of expiring -----------------------------------------------------


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory):
    """A local Cognito whose access tokens last 4 seconds, and a server on it."""
    data = tmp_path_factory.mktemp("short-lived")
    local, config = start_local_cognito(load_config(local_config(str(data))), access_token_seconds=4)
    server = serve_app(config, config.port)
    yield config.base_url
    server.stop()
    local.stop()


def test_an_expired_session_refreshes_silently_and_ends_cleanly_when_revoked(short_lived):
    email = f"short-{uuid.uuid4().hex[:8]}@example.com"
    browser = Client(short_lived)
    assert browser.call("createAccount", user=email, **{"pass": PASSWORD}).status == 200
    assert browser.call("confirmAccount", user=email, conf_code=CODE, **{"pass": PASSWORD}).status == 200
    browser.jars.clear()
    landed = submit(browser, hosted_sign_in_page(browser, "/login?next=/me"), email=email, password=PASSWORD)
    assert landed.json["signed_in"] is True
    first = browser.cookies["__Host-session"]

    time.sleep(4.5)  # the access token has expired
    # Reached from another site, the Strict refresh cookie is not sent: no renewal, but no sign-out.
    cross_site = Client(short_lived)
    cross_site.cookies["__Host-session"] = browser.cookies["__Host-session"]
    reply = cross_site.request("GET", "/me")
    assert reply.json == me_answer() and not reply.set_cookies()
    assert browser.request("GET", "/me").json["signed_in"] is True
    assert browser.cookies["__Host-session"] != first  # renewed with the refresh token
    assert browser.call("getUser").status == 200  # and the renewed token works

    # The refresh token is revoked elsewhere; at the next expiry the person is signed out cleanly.
    other = Client(short_lived)
    other.cookies["__Host-refresh"] = browser.cookies["__Host-refresh"]
    assert other.call("signOut").status == 200
    time.sleep(4.5)
    assert browser.request("GET", "/me").json == me_answer()
    assert "__Host-session" not in browser.cookies and "__Host-refresh" not in browser.cookies
    reply = browser.call("getUser")
    assert (reply.status, reply.json["error"], reply.json["field"]) == (400, "MissingField", "access_token")


def test_the_json_sign_out_ends_the_browser_session_too(base_url, person):
    browser = Client(base_url)
    submit(browser, hosted_sign_in_page(browser), email=person, password=PASSWORD)
    assert browser.request("GET", "/me").json["signed_in"] is True
    reply = browser.call("signOut")
    assert reply.status == 200
    assert reply.clears_cookie("__Host-session")
    assert browser.request("GET", "/me").json == me_answer()


def test_pages_of_other_origins_cannot_act_with_the_session(base_url, person):
    browser = signed_in_browser(base_url, person)
    own_origin = base_url
    for headers in (
        {"Origin": "http://evil.localhost:8080"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        reply = browser.request(
            "POST",
            "/",
            json.dumps({"env": "updateUser", "nickname": "pwned"}).encode(),
            {"Content-Type": "text/plain", **headers},
        )
        assert (reply.status, reply.json["error"]) == (403, "UntrustedOrigin"), headers
    assert browser.call("getUser").json["attributes"]["nickname"] == "Sam"  # nothing changed
    # This site's own pages, and clients that are not pages, may.
    reply = browser.request(
        "POST",
        "/",
        json.dumps({"env": "getUser"}).encode(),
        {"Content-Type": "application/json", "Origin": own_origin, "Sec-Fetch-Site": "same-origin"},
    )
    assert reply.status == 200


def test_a_json_sign_in_ends_the_previous_browser_session(base_url, person, email):
    browser = signed_in_browser(base_url, person)
    other = f"other-{email}"
    assert browser.call("createAccount", user=other, **{"pass": PASSWORD}).status == 200
    reply = browser.call("confirmAccount", user=other, conf_code=CODE, **{"pass": PASSWORD})
    assert reply.status == 200
    assert browser.request("GET", "/me").json == me_answer(refresh_cookie=True)  # the new sign-in's
    assert browser.call("getUser", access_token=reply.json["access_token"]).json["attributes"]["email"] == other


def test_sign_out_with_a_broken_session_cookie_still_revokes(base_url, person):
    browser = signed_in_browser(base_url, person)
    refresh_cookie = browser.cookies["__Host-refresh"]
    browser.cookies["__Host-session"] = "garbage"
    assert browser.call("signOut").status == 200
    thief = Client(base_url)
    thief.cookies["__Host-refresh"] = refresh_cookie
    assert thief.call("refresh").json["error"] == "SessionExpired"


def test_a_logout_link_from_another_site_asks_before_signing_out(base_url, person):
    browser = signed_in_browser(base_url, person)
    refresh_cookie = browser.cookies.pop("__Host-refresh")  # a cross-site navigation does not send it
    page = browser.request("GET", "/logout", follow=False)
    assert page.status == 200 and page.form("/logout") == {}  # this site's "Sign out" button
    assert "__Host-session" in browser.cookies and not page.set_cookies()  # nothing done yet
    browser.cookies["__Host-refresh"] = refresh_cookie  # the button's POST, from this site, sends it
    reply = browser.request("POST", "/logout", b"", {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 303 and "__Host-session" not in browser.cookies
    thief = Client(base_url)
    thief.cookies["__Host-refresh"] = refresh_cookie
    assert thief.call("refresh").json["error"] == "SessionExpired"
