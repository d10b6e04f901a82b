"""The local Cognito's hosted UI behaves as Amazon Cognito documents its OAuth 2.0 endpoints.

Every test drives a local Cognito over real HTTP like a browser would (cookies kept by hand, no
redirect followed) or like the app's server would (the token and userInfo endpoints), on a pool
whose clock the tests move.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.client
import json
import os
import re
import secrets
import stat
import urllib.parse
from html.parser import HTMLParser
from http.cookies import SimpleCookie

import jwt
import pytest

from local_cognito import start_local_cognito
from local_cognito.endpoint import LocalCognito
from local_cognito.service import LocalUserPool
from local_cognito.totp import STEP_SECONDS
from server.config import load_config
from tests.test_local_cognito import PASSWORD, error_code
from tests.test_local_cognito_mfa import (CODE, Clock, admin_created, clients, code_at, new_email,
                                          password_auth, signed_in, with_mfa)

APP = "http://localhost:3006"
CALLBACK = f"{APP}/callback"
SIGNED_OUT = f"{APP}/"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    clock = Clock()
    pool = LocalUserPool(str(tmp_path_factory.mktemp("hosted-ui")), pinned_code=CODE, clock=clock)
    pool.oauth.configure_hosted_ui(callback_urls=[CALLBACK], logout_urls=[SIGNED_OUT])
    local = LocalCognito(pool).start()
    idp, admin = clients(local, pool)
    yield local, pool, clock, idp, admin
    local.stop()


@pytest.fixture
def local(served):
    return served[0]


@pytest.fixture
def pool(served):
    return served[1]


@pytest.fixture
def clock(served):
    return served[2]


@pytest.fixture
def idp(served):
    return served[3]


@pytest.fixture
def admin(served):
    return served[4]


@pytest.fixture
def browser(local):
    return Browser(local.endpoint_url)


# --- a browser, and the app's server ------------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page: action -> {field name: value} (hidden and pre-filled fields)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action", ""), {}))
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1][1][attrs["name"]] = attrs.get("value") or ""


@dataclasses.dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    def redirect_query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.location).query))

    def set_cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []

    def form(self, action: str) -> dict[str, str]:
        parser = _Forms()
        parser.feed(self.text)
        found = [fields for form_action, fields in parser.forms if form_action == action]
        assert found, f"no form posting to {action} in {self.text}"
        return dict(found[0])


class Browser:
    """Keeps cookies as a browser does for the local Cognito's host; follows no redirects."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        if path.startswith(self.base_url):
            path = path[len(self.base_url):]
        assert path.startswith("/"), f"the browser would leave the local Cognito for {path}"
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        url = urllib.parse.urlsplit(self.base_url)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in reply.set_cookies():
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def get(self, path: str, params: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path + ("?" + urllib.parse.urlencode(params) if params else ""))

    def post(self, path: str, fields: dict[str, str]) -> Reply:
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclasses.dataclass
class Authorization:
    """One authorize request the app made: its parameters and the PKCE verifier it kept."""

    params: dict[str, str]
    verifier: str

    @property
    def state(self) -> str:
        return self.params["state"]


def authorization(pool: LocalUserPool, **overrides: str | None) -> Authorization:
    verifier, challenge = pkce()
    params = {"response_type": "code", "client_id": pool.client_id, "redirect_uri": CALLBACK,
              "scope": "openid email profile", "state": secrets.token_urlsafe(12),
              "nonce": secrets.token_urlsafe(12), "code_challenge": challenge,
              "code_challenge_method": "S256"}
    params.update(overrides)
    return Authorization({k: v for k, v in params.items() if v is not None}, verifier)


def sign_in_page(browser: Browser, request: Authorization) -> Reply:
    started = browser.get("/oauth2/authorize", request.params)
    assert started.status == 302 and started.location.startswith("/login?"), started.text
    page = browser.get(started.location)
    assert page.status == 200 and "Sign in" in page.text
    return page


def submit_password(browser: Browser, page: Reply, email: str, password: str = PASSWORD) -> Reply:
    return browser.post("/login", dict(page.form("/login"), email=email, password=password))


def code_from(reply: Reply, request: Authorization) -> str:
    """The code in a redirect back to the app, after checking it is one (with the right state)."""
    assert reply.status == 302, reply.text
    assert reply.location.startswith(CALLBACK + "?")
    query = reply.redirect_query()
    assert query["state"] == request.state
    return query["code"]


def hosted_sign_in(browser: Browser, pool: LocalUserPool, email: str,
                   **overrides: str | None) -> tuple[Authorization, str]:
    request = authorization(pool, **overrides)
    return request, code_from(submit_password(browser, sign_in_page(browser, request), email), request)


def basic(client_id: str, client_secret: str) -> str:
    pair = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def server_call(local: LocalCognito, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
    url = urllib.parse.urlsplit(local.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def token_request(local: LocalCognito, pool: LocalUserPool, fields: dict[str, str], *,
                  auth: str | None = "basic", content_type: str = "application/x-www-form-urlencoded") -> Reply:
    headers = {"Content-Type": content_type}
    if auth == "basic":
        headers["Authorization"] = basic(pool.client_id, pool.client_secret)
    elif auth is not None:
        headers["Authorization"] = auth
    return server_call(local, "POST", "/oauth2/token", urllib.parse.urlencode(fields).encode(), headers)


def exchange(local: LocalCognito, pool: LocalUserPool, request: Authorization, code: str,
             **overrides: str | None) -> Reply:
    fields = {"grant_type": "authorization_code", "client_id": pool.client_id, "code": code,
              "redirect_uri": request.params["redirect_uri"], "code_verifier": request.verifier}
    fields.update(overrides)
    return token_request(local, pool, {k: v for k, v in fields.items() if v is not None})


def assert_oauth_error(reply: Reply, error: str, status: int = 400) -> None:
    assert reply.status == status, reply.text
    assert reply.json["error"] == error and reply.json["error_description"]
    assert reply.headers["Content-Type"].startswith("application/json")


def user_info(local: LocalCognito, access_token: str | None, method: str = "GET") -> Reply:
    headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
    return server_call(local, method, "/oauth2/userInfo", b"" if method == "POST" else None, headers)


def new_user(idp, nickname: str = "Hosted") -> str:
    email = new_email()
    idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD,
                UserAttributes=[{"Name": "nickname", "Value": nickname}])
    idp.confirm_sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email,
                        ConfirmationCode=CODE)
    return email


def error_page(reply: Reply, status: int = 400) -> str:
    """The text of an error page, after checking it is one and redirects nowhere."""
    assert reply.status == status, reply.text
    assert reply.location is None
    assert reply.headers["Content-Type"].startswith("text/html")
    return reply.text


# --- the whole code flow ------------------------------------------------------------------------------


def test_the_code_flow_with_pkce_gives_tokens_that_work_everywhere(browser, local, pool, idp):
    email = new_user(idp, nickname="Flow <b>&")
    request, code = hosted_sign_in(browser, pool, email)

    tokens = exchange(local, pool, request, code)
    assert tokens.status == 200, tokens.text
    assert tokens.headers["Cache-Control"] == "no-store"
    assert tokens.headers["Content-Type"].startswith("application/json")
    answer = tokens.json
    assert set(answer) == {"access_token", "id_token", "refresh_token", "token_type", "expires_in"}
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 3600

    discovery = server_call(local, "GET", f"/{pool.pool_id}/.well-known/openid-configuration").json
    keys = jwt.PyJWKClient(discovery["jwks_uri"])
    identity = jwt.decode(answer["id_token"], keys.get_signing_key_from_jwt(answer["id_token"]).key,
                          algorithms=discovery["id_token_signing_alg_values_supported"],
                          audience=pool.client_id, issuer=discovery["issuer"])
    assert identity["nonce"] == request.params["nonce"] and identity["token_use"] == "id"
    assert identity["email"] == email and identity["nickname"] == "Flow <b>&"
    access = jwt.decode(answer["access_token"], keys.get_signing_key_from_jwt(answer["access_token"]).key,
                        algorithms=["RS256"], issuer=discovery["issuer"])
    assert access["scope"] == "openid email profile" and access["token_use"] == "access"
    assert access["client_id"] == pool.client_id and access["sub"] == identity["sub"]
    assert access["auth_time"] == identity["auth_time"]

    # The refresh_token grant: new access and id tokens, the same scopes, no new refresh token.
    refreshed = token_request(local, pool, {"grant_type": "refresh_token",
                                            "refresh_token": answer["refresh_token"]})
    assert refreshed.status == 200, refreshed.text
    assert set(refreshed.json) == {"access_token", "id_token", "token_type", "expires_in"}
    assert jwt.decode(refreshed.json["access_token"], options={"verify_signature": False})["scope"] == \
        "openid email profile"

    for method in ("GET", "POST"):
        info = user_info(local, refreshed.json["access_token"], method)
        assert info.status == 200, info.text
        assert info.json == {"sub": identity["sub"], "email": email, "email_verified": "true",
                             "nickname": "Flow <b>&", "username": identity["sub"]}

    # The same refresh token through the API, with SECRET_HASH on the user name Cognito assigned.
    sub = identity["sub"]
    api = idp.initiate_auth(ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
        "REFRESH_TOKEN": answer["refresh_token"], "SECRET_HASH": idp.hash(sub)})["AuthenticationResult"]
    assert jwt.decode(api["AccessToken"], options={"verify_signature": False})["scope"] == \
        "openid email profile"
    assert idp.get_user(AccessToken=answer["access_token"])["Username"] == sub

    # RevokeToken ends it all: the refresh token, and the access tokens issued with it.
    idp.revoke_token(Token=answer["refresh_token"], ClientId=pool.client_id, ClientSecret=pool.client_secret)
    assert_oauth_error(token_request(local, pool, {"grant_type": "refresh_token",
                                                   "refresh_token": answer["refresh_token"]}),
                       "invalid_grant")
    revoked = user_info(local, refreshed.json["access_token"])
    assert revoked.status == 401 and revoked.json["error"] == "invalid_token"
    assert revoked.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert error_code(idp.get_user, AccessToken=answer["access_token"]) == "NotAuthorizedException"


def test_the_client_secret_may_come_in_the_body(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    tokens = token_request(local, pool, {
        "grant_type": "authorization_code", "client_id": pool.client_id,
        "client_secret": pool.client_secret, "code": code, "redirect_uri": CALLBACK,
        "code_verifier": request.verifier}, auth=None)
    assert tokens.status == 200, tokens.text
    assert tokens.json["refresh_token"]


def test_global_sign_out_ends_hosted_ui_tokens(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    answer = exchange(local, pool, request, code).json
    idp.global_sign_out(AccessToken=answer["access_token"])
    assert_oauth_error(token_request(local, pool, {"grant_type": "refresh_token",
                                                   "refresh_token": answer["refresh_token"]}),
                       "invalid_grant")
    assert user_info(local, answer["access_token"]).status == 401


def test_without_openid_there_is_no_id_token_and_no_user_info(tmp_path):
    pool = LocalUserPool(str(tmp_path), pinned_code=CODE)
    pool.oauth.configure_hosted_ui(callback_urls=[CALLBACK],
                                   scopes=["openid", "aws.cognito.signin.user.admin"])
    local = LocalCognito(pool).start()
    try:
        idp, _ = clients(local, pool)
        request, code = hosted_sign_in(Browser(local.endpoint_url), pool, new_user(idp),
                                       scope="aws.cognito.signin.user.admin")
        answer = exchange(local, pool, request, code).json
        assert "id_token" not in answer and answer["refresh_token"]
        refused = user_info(local, answer["access_token"])
        assert refused.status == 401 and "openid" in refused.json["error_description"]
        assert idp.get_user(AccessToken=answer["access_token"])["Username"]
    finally:
        local.stop()


# --- the authorize request --------------------------------------------------------------------------


@pytest.mark.parametrize("redirect_uri", ["http://evil.example/callback", f"{CALLBACK}/", f"{CALLBACK}?x=1",
                                          "http://localhost:3006/callback#f", None])
def test_an_unregistered_redirect_uri_is_an_error_page_never_a_redirect(browser, pool, redirect_uri):
    request = authorization(pool, redirect_uri=redirect_uri, response_type="nonsense")
    for path in ("/oauth2/authorize", "/login", "/signup"):
        text = error_page(browser.get(path, request.params))
        assert "redirect_mismatch" in text and "evil.example" not in text


@pytest.mark.parametrize("client_id", ["not-the-client", "", None])
def test_an_unknown_client_is_an_error_page(browser, pool, client_id):
    text = error_page(browser.get("/oauth2/authorize", authorization(pool, client_id=client_id).params))
    assert "client_id" in text


@pytest.mark.parametrize("overrides,error", [
    ({"response_type": None}, "invalid_request"),
    ({"response_type": "token"}, "unauthorized_client"),
    ({"response_type": "id_token"}, "unsupported_response_type"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge_method": None}, "invalid_request"),
    ({"code_challenge": None}, "invalid_request"),
    ({"code_challenge": "too-short"}, "invalid_request"),
    ({"scope": "openid phone"}, "invalid_scope"),
    ({"scope": "openid aws.cognito.signin.user.admin phone"}, "invalid_scope"),
    ({"scope": "email profile"}, "invalid_scope"),
])
def test_other_faults_go_back_to_the_app_with_the_state(browser, pool, overrides, error):
    request = authorization(pool, **overrides)
    reply = browser.get("/oauth2/authorize", request.params)
    assert reply.status == 302 and reply.location.startswith(CALLBACK + "?")
    query = reply.redirect_query()
    assert query["error"] == error and query["error_description"]
    assert query["state"] == request.state and "code" not in query


def test_a_repeated_parameter_is_refused(browser, pool):
    request = authorization(pool)
    query = urllib.parse.urlencode(request.params) + "&scope=openid"
    reply = browser.request("GET", "/oauth2/authorize?" + query)
    assert reply.status == 302 and reply.redirect_query()["error"] == "invalid_request"


def test_no_scope_asks_for_all_the_clients_scopes(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp), scope=None)
    access = exchange(local, pool, request, code).json["access_token"]
    assert jwt.decode(access, options={"verify_signature": False})["scope"] == \
        "openid email profile aws.cognito.signin.user.admin"


def test_identity_providers_are_cognitos_or_none(browser, pool):
    request = authorization(pool, identity_provider="COGNITO")
    assert browser.get("/oauth2/authorize", request.params).location.startswith("/login?")
    for other in ({"identity_provider": "Google"}, {"identity_provider": "cognito"},
                  {"idp_identifier": "example.com"}):
        text = error_page(browser.get("/oauth2/authorize", authorization(pool, **other).params))
        assert "Login option is not available. Please try another one." in text


def test_pages_escape_what_they_carry(browser, pool):
    request = authorization(pool, state='"><script>alert(1)</script>')
    page = sign_in_page(browser, request)
    assert "<script>" not in page.text and "&lt;script&gt;" not in page.text  # it is in the signed field
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    wrong = submit_password(browser, page, '"><img src=x>@example.com', "wrong password")
    assert wrong.status == 400 and "<img" not in wrong.text and "&quot;&gt;&lt;img src=x&gt;" in wrong.text


# --- the sign-in page ------------------------------------------------------------------------------


def test_wrong_password_and_unknown_user_read_the_same(browser, pool, idp):
    email = new_user(idp)
    request = authorization(pool)
    wrong = submit_password(browser, sign_in_page(browser, request), email, "not the password")
    unknown = submit_password(browser, sign_in_page(browser, request), "nobody-" + email, "not the password")
    for reply in (wrong, unknown):
        assert reply.status == 400 and reply.location is None
        assert "Incorrect username or password." in reply.text
        assert "cognito" not in browser.cookies
    # The page is the sign-in form again, ready for another try.
    assert wrong.form("/login")["flow"]


def test_a_disabled_user_is_told_so(browser, pool, idp, admin):
    email = new_user(idp)
    admin.admin_disable_user(UserPoolId=pool.pool_id, Username=email)
    reply = submit_password(browser, sign_in_page(browser, authorization(pool)), email)
    assert reply.status == 400 and "User is disabled." in reply.text and reply.location is None


def test_an_unconfirmed_user_is_asked_for_the_code_then_signed_in(browser, local, pool, idp):
    email = new_email()
    idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD)
    request = authorization(pool)
    wrong = submit_password(browser, sign_in_page(browser, request), email, "not the password")
    assert "Incorrect username or password." in wrong.text  # the code form only after the password
    page = submit_password(browser, sign_in_page(browser, request), email)
    assert page.status == 200 and "not confirmed" in page.text
    code = code_from(browser.post("/confirm", dict(page.form("/confirm"), code=CODE)), request)
    assert exchange(local, pool, request, code).status == 200


def test_a_tampered_or_misused_form_state_is_refused(browser, pool, idp):
    email = new_user(idp)
    page = sign_in_page(browser, authorization(pool))
    fields = dict(page.form("/login"), email=email, password=PASSWORD)
    flow = fields["flow"]
    evil = base64.b64encode(json.dumps({"step": "password", "request": dict(
        authorization(pool).params, redirect_uri="http://evil.example/")}).encode()).decode()
    parts = flow.split("|")
    parts[4] = f"{len(evil)}:{evil}"  # the payload, its signature left as it was
    tampered = [flow[:-1] + ("0" if flow[-1] != "0" else "1"), "|".join(parts), ""]
    signup_flow = browser.get("/signup", authorization(pool).params).form("/signup")["flow"]
    for value in tampered + [signup_flow]:  # a sign-up form's state is no sign-in's
        text = error_page(browser.post("/login", dict(fields, flow=value)))
        assert "expired or was changed" in text and "cognito" not in browser.cookies
    # Without the _xsrf cookie (as in a cross-site post, which SameSite=Lax keeps it from): refused.
    del browser.cookies["_xsrf"]
    assert error_page(browser.post("/login", fields), status=403)
    assert "cognito" not in browser.cookies


def test_a_sign_in_form_expires_after_an_hour(browser, pool, idp, clock):
    email = new_user(idp)
    page = sign_in_page(browser, authorization(pool))
    clock.advance(3601)
    assert "expired" in error_page(submit_password(browser, page, email))


def test_the_mfa_user_gets_the_code_form(browser, local, pool, idp, clock):
    user, secret = with_mfa(idp, clock)
    request = authorization(pool)
    page = submit_password(browser, sign_in_page(browser, request), user["email"])
    assert page.status == 200 and "authenticator" in page.text and "cognito" not in browser.cookies
    form = page.form("/login/mfa")
    right = code_at(secret, clock())
    wrong = next(c for c in ("000000", "111111") if c != right)
    again = browser.post("/login/mfa", dict(form, code=wrong))
    assert again.status == 400 and "Invalid code received for user" in again.text
    code = code_from(browser.post("/login/mfa", dict(again.form("/login/mfa"), code=right[:3] + " " + right[3:])),
                     request)
    assert exchange(local, pool, request, code).status == 200

    # The same TOTP code is no good a second time, in a new sign-in from another browser.
    other = Browser(local.endpoint_url)
    page = submit_password(other, sign_in_page(other, authorization(pool)), user["email"])
    refused = other.post("/login/mfa", dict(page.form("/login/mfa"), code=right))
    assert refused.status == 400 and refused.location is None
    clock.advance(STEP_SECONDS)
    assert other.post("/login/mfa", dict(refused.form("/login/mfa"), code=code_at(secret, clock()))).status == 302


def test_an_expired_mfa_step_starts_over(browser, pool, idp, clock):
    user, secret = with_mfa(idp, clock)
    page = submit_password(browser, sign_in_page(browser, authorization(pool)), user["email"])
    clock.advance(181)  # Cognito's three minutes
    reply = browser.post("/login/mfa", dict(page.form("/login/mfa"), code=code_at(secret, clock())))
    assert reply.status == 400 and "expired" in reply.text and reply.form("/login")


def test_a_user_with_a_temporary_password_chooses_a_new_one(browser, local, pool, idp, admin):
    email = admin_created(admin, pool)
    request = authorization(pool)
    page = submit_password(browser, sign_in_page(browser, request), email, "temporary-pass-1")
    assert page.status == 200 and "Choose a new password" in page.text
    short = browser.post("/login/new-password", dict(page.form("/login/new-password"), password="short"))
    assert short.status == 400 and "Password not long enough" in short.text
    done = browser.post("/login/new-password", dict(short.form("/login/new-password"), password="my own password"))
    assert exchange(local, pool, request, code_from(done, request)).status == 200
    assert password_auth(idp, email, "my own password")["AuthenticationResult"]["AccessToken"]


# --- sign-up -----------------------------------------------------------------------------------------


def test_sign_up_through_the_pages(browser, local, pool, idp):
    request = authorization(pool)
    login = sign_in_page(browser, request)
    link = re.search(r'href="(/signup\?[^"]+)"', login.text).group(1).replace("&amp;", "&")
    page = browser.get(link)
    assert page.status == 200 and "Sign up" in page.text
    email = new_email()
    taken = browser.post("/signup", dict(page.form("/signup"), email=new_user(idp), password=PASSWORD,
                                         nickname="Taken"))
    assert taken.status == 400 and "already exists" in taken.text
    short = browser.post("/signup", dict(taken.form("/signup"), email=email, password="short"))
    assert short.status == 400 and "Password not long enough" in short.text

    confirm = browser.post("/signup", dict(short.form("/signup"), email=email, password=PASSWORD,
                                           nickname="Newcomer"))
    assert confirm.status == 200 and "We emailed a confirmation code to" in confirm.text
    form = confirm.form("/confirm")
    wrong = browser.post("/confirm", dict(form, code="000000" if CODE != "000000" else "111111"))
    assert wrong.status == 400 and "Invalid verification code" in wrong.text
    resent = browser.post("/confirm", dict(form, action="resend"))
    assert resent.status == 200 and "new code" in resent.text
    code = code_from(browser.post("/confirm", dict(form, code=f" {CODE[:3]} {CODE[3:]} ")), request)

    identity = jwt.decode(exchange(local, pool, request, code).json["id_token"],
                          options={"verify_signature": False})
    assert identity["email"] == email and identity["email_verified"] is True
    assert identity["nickname"] == "Newcomer"
    assert password_auth(idp, email)["AuthenticationResult"]["AccessToken"]
    # The confirm step cannot be replayed to sign in again.
    assert browser.post("/confirm", dict(form, code=CODE)).status == 400


# --- the token endpoint ----------------------------------------------------------------------------


def test_a_replayed_code_is_refused_and_revokes_what_it_gave(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    first = exchange(local, pool, request, code)
    assert first.status == 200
    assert_oauth_error(exchange(local, pool, request, code), "invalid_grant")
    assert_oauth_error(token_request(local, pool, {"grant_type": "refresh_token",
                                                   "refresh_token": first.json["refresh_token"]}),
                       "invalid_grant")
    assert error_code(idp.get_user, AccessToken=first.json["access_token"]) == "NotAuthorizedException"


def test_an_expired_code_is_refused(browser, local, pool, idp, clock):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    clock.advance(301)
    assert_oauth_error(exchange(local, pool, request, code), "invalid_grant")


@pytest.mark.parametrize("verifier", ["wrong", None])
def test_the_pkce_verifier_must_match(browser, local, pool, idp, verifier):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    wrong = pkce()[0] if verifier == "wrong" else None
    assert_oauth_error(exchange(local, pool, request, code, code_verifier=wrong), "invalid_grant")
    # The code was spent by that try.
    assert_oauth_error(exchange(local, pool, request, code), "invalid_grant")


def test_a_verifier_for_a_code_without_a_challenge_is_refused(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp), code_challenge=None,
                                   code_challenge_method=None)
    assert_oauth_error(exchange(local, pool, request, code), "invalid_grant")


def test_the_redirect_uri_must_be_the_authorize_requests(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    assert_oauth_error(exchange(local, pool, request, code, redirect_uri=None), "invalid_request")
    assert_oauth_error(exchange(local, pool, request, code, redirect_uri=SIGNED_OUT), "invalid_grant")


def test_client_authentication(browser, local, pool, idp):
    request, code = hosted_sign_in(browser, pool, new_user(idp))
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
              "code_verifier": request.verifier}
    assert_oauth_error(token_request(local, pool, fields, auth=basic(pool.client_id, "wrong")), "invalid_client")
    assert_oauth_error(token_request(local, pool, fields, auth=basic("another-client", pool.client_secret)),
                       "invalid_client")
    assert_oauth_error(token_request(local, pool, fields, auth="Basic !!!"), "invalid_client")
    assert_oauth_error(token_request(local, pool, fields, auth=None), "invalid_client")
    assert_oauth_error(token_request(local, pool, dict(fields, client_id=pool.client_id, client_secret="wrong"),
                                     auth=None), "invalid_client")
    assert_oauth_error(token_request(local, pool, dict(fields, client_id="another-client")), "invalid_client")
    assert_oauth_error(token_request(local, pool, dict(fields, client_secret=pool.client_secret)),
                       "invalid_request")
    # None of that was the client: the code is still good.
    assert token_request(local, pool, fields).status == 200


@pytest.mark.parametrize("fields,error", [
    ({"grant_type": "password", "username": "x", "password": "y"}, "unsupported_grant_type"),
    ({"grant_type": "client_credentials"}, "unauthorized_client"),
    ({}, "invalid_request"),
    ({"grant_type": "authorization_code", "redirect_uri": CALLBACK}, "invalid_request"),
    ({"grant_type": "authorization_code", "code": "made-up", "redirect_uri": CALLBACK}, "invalid_grant"),
    ({"grant_type": "refresh_token"}, "invalid_request"),
    ({"grant_type": "refresh_token", "refresh_token": "made-up"}, "invalid_grant"),
])
def test_token_request_errors(local, pool, fields, error):
    assert_oauth_error(token_request(local, pool, fields), error)


def test_the_token_endpoint_takes_only_forms(local, pool):
    reply = token_request(local, pool, {"grant_type": "refresh_token", "refresh_token": "x"},
                          content_type="application/json")
    assert_oauth_error(reply, "invalid_request")
    assert server_call(local, "GET", "/oauth2/token").status == 405


# --- userInfo ----------------------------------------------------------------------------------------


def test_user_info_refuses_what_is_not_a_hosted_ui_access_token(local, idp):
    missing = user_info(local, None)
    assert missing.status == 400 and missing.json["error"] == "invalid_request"
    assert missing.headers["WWW-Authenticate"].startswith('Bearer error="invalid_request"')
    forged = user_info(local, "not.a.token")
    assert forged.status == 401 and forged.json["error"] == "invalid_token"
    api_token = signed_in(idp)["AccessToken"]  # InitiateAuth's tokens have no openid scope
    refused = user_info(local, api_token)
    assert refused.status == 401 and refused.json["error_description"] == \
        "Access token does not contain openid scope"


# --- the hosted-UI session and logout ------------------------------------------------------------------


def test_the_session_skips_the_form_until_logout(browser, local, pool, idp):
    email = new_user(idp)
    request = authorization(pool)
    signed = submit_password(browser, sign_in_page(browser, request), email)
    code_from(signed, request)
    [cookie] = [c for c in signed.set_cookies() if c.startswith("cognito=")]
    attributes = [part.strip() for part in cookie.split(";")[1:]]
    assert sorted(attributes) == ["HttpOnly", "Max-Age=3600", "Path=/", "SameSite=Lax"]

    again = authorization(pool, nonce="second-nonce")
    code = code_from(browser.get("/oauth2/authorize", again.params), again)  # no form
    identity = jwt.decode(exchange(local, pool, again, code).json["id_token"], options={"verify_signature": False})
    assert identity["email"] == email and identity["nonce"] == "second-nonce"

    # Not for another browser, nor with a forged cookie.
    assert Browser(local.endpoint_url).get("/oauth2/authorize", again.params).location.startswith("/login?")
    forged = Browser(local.endpoint_url)
    forged.cookies["cognito"] = browser.cookies["cognito"][:-2] + "00"
    assert forged.get("/oauth2/authorize", again.params).location.startswith("/login?")

    # A sign-out URL that is not registered: an error page, and still signed in.
    for logout_uri in ("http://evil.example/", f"{APP}/elsewhere"):
        error_page(browser.get("/logout", {"client_id": pool.client_id, "logout_uri": logout_uri}))
    assert browser.get("/oauth2/authorize", again.params).location.startswith(CALLBACK)
    error_page(browser.get("/logout", {"client_id": "nope", "logout_uri": SIGNED_OUT}))

    stolen = browser.cookies["cognito"]
    out = browser.get("/logout", {"client_id": pool.client_id, "logout_uri": SIGNED_OUT})
    assert out.status == 302 and out.location == SIGNED_OUT
    [cleared] = [c for c in out.set_cookies() if c.startswith("cognito=")]
    assert cleared.startswith('cognito=""; expires=Thu, 01 Jan 1970 00:00:00 GMT;')
    assert "HttpOnly" in cleared and "Path=/" in cleared and "cognito" not in browser.cookies
    assert browser.get("/oauth2/authorize", again.params).location.startswith("/login?")
    # The session is over on the server too: its old cookie no longer works.
    browser.cookies["cognito"] = stolen
    assert browser.get("/oauth2/authorize", again.params).location.startswith("/login?")


def test_logout_back_to_the_sign_in_page(browser, pool, idp):
    request = authorization(pool)
    code_from(submit_password(browser, sign_in_page(browser, request), new_user(idp)), request)
    out = browser.get("/logout", dict(request.params, client_id=pool.client_id))
    assert out.status == 302 and out.location.startswith("/login?")
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(out.location).query))["state"] == request.state
    assert "cognito" not in browser.cookies
    assert browser.get(out.location).status == 200
    error_page(browser.get("/logout", {"client_id": pool.client_id}))


def test_a_session_lasts_an_hour_from_its_last_use_while_its_user_may_sign_in(browser, local, pool, idp,
                                                                             admin, clock):
    email = new_user(idp)
    request = authorization(pool)
    code_from(submit_password(browser, sign_in_page(browser, request), email), request)
    clock.advance(3000)
    reused = browser.get("/oauth2/authorize", request.params)
    assert reused.location.startswith(CALLBACK)
    assert any(c.startswith("cognito=") and "Max-Age=3600" in c for c in reused.set_cookies())
    clock.advance(3000)  # an hour and more since the sign-in, less since its last use
    code = code_from(browser.get("/oauth2/authorize", request.params), request)
    answer = exchange(local, pool, request, code).json
    # As at Cognito, a global sign-out ends the tokens but not the hosted-UI session.
    idp.global_sign_out(AccessToken=answer["access_token"])
    assert browser.get("/oauth2/authorize", request.params).location.startswith(CALLBACK)
    admin.admin_disable_user(UserPoolId=pool.pool_id, Username=email)
    assert browser.get("/oauth2/authorize", request.params).location.startswith("/login?")
    admin.admin_enable_user(UserPoolId=pool.pool_id, Username=email)
    assert browser.get("/oauth2/authorize", request.params).location.startswith(CALLBACK)
    clock.advance(3601)
    assert browser.get("/oauth2/authorize", request.params).location.startswith("/login?")


# --- discovery and start-up ------------------------------------------------------------------------------


def test_the_openid_configuration_points_here(local, pool):
    reply = server_call(local, "GET", f"/{pool.pool_id}/.well-known/openid-configuration")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    base = local.endpoint_url
    assert reply.json == {
        "issuer": f"{base}/{pool.pool_id}",
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "userinfo_endpoint": f"{base}/oauth2/userInfo",
        "jwks_uri": f"{base}/{pool.pool_id}/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }
    assert server_call(local, "GET", "/us-east-1_other/.well-known/openid-configuration").status == 404


def test_start_up_registers_the_apps_urls_from_the_configuration(tmp_path):
    for base_url in ("http://localhost:4000", "http://localhost:5000"):
        config = load_config({"LOCAL_COGNITO_DATA": str(tmp_path), "LOCAL_COGNITO_PORT": "0",
                              "BASE_URL": base_url + "/", "PORT": "4000"})
        local, completed = start_local_cognito(config)
        try:
            assert completed.hosted_ui_url == local.endpoint_url and completed.hosted_ui
            assert not completed.hosted_ui_url.endswith("/")
            browser = Browser(local.endpoint_url)
            params = {"response_type": "code", "client_id": completed.client_id,
                      "redirect_uri": f"{base_url}/callback", "scope": "openid email profile"}
            assert browser.get("/oauth2/authorize", params).location.startswith("/login?")
            stale = dict(params, redirect_uri="http://localhost:4000/callback")
            if base_url != "http://localhost:4000":  # the previous start's URL is gone
                error_page(browser.get("/oauth2/authorize", stale))
            out = browser.get("/logout", {"client_id": completed.client_id, "logout_uri": f"{base_url}/"})
            assert out.location == f"{base_url}/"
            assert base_url not in (tmp_path / "state.json").read_text()  # not saved with the pool
        finally:
            local.stop()


def test_start_up_listens_on_the_configured_port(tmp_path):
    config = load_config({"LOCAL_COGNITO_DATA": str(tmp_path), "LOCAL_COGNITO_PORT": "0"})
    local, completed = start_local_cognito(config)
    port = local.port
    local.stop()
    again, completed = start_local_cognito(dataclasses.replace(config, local_cognito_port=port))
    try:
        assert again.port == port and completed.hosted_ui_url == f"http://127.0.0.1:{port}"
    finally:
        again.stop()
    override, _ = start_local_cognito(dataclasses.replace(config, local_cognito_port=port), port=0)
    try:
        assert override.port != 0
    finally:
        override.stop()


def test_the_signing_key_is_kept_private_in_the_data_folder(pool):
    path = os.path.join(pool.store.folder, "hosted-ui-secret")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, encoding="utf-8") as handle:
        assert len(handle.read().strip()) >= 40
